import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeTsresol, isSupportedTsresol, TimestampConverter } from '../../src/capture/pcapng-timestamp.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { type Endian } from '../../src/frame-builder.js';
import { epb, idb, ifTsoffset, ifTsresol, shb } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');

function unitsPerSecond(tsresol: number): bigint {
  return tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

/** What the converter must produce, in exact integer arithmetic. */
function expected(tsresol: number, count: bigint, offset = 0n): { seconds: number; nanos: number } {
  const units = unitsPerSecond(tsresol);
  return { seconds: Number(count / units + offset), nanos: Number(((count % units) * 1_000_000_000n) / units) };
}

function convert(tsresol: number, count: bigint, offset = 0): { seconds: number; nanos: number } {
  const converter = new TimestampConverter(tsresol, offset);
  converter.convert(Number(count >> 32n), Number(count & 0xffffffffn));
  return { seconds: converter.seconds, nanos: converter.nanos };
}

const MICRO = 6;
const NANO = 9;
const MAX_U64 = 2n ** 64n - 1n;

describe('TimestampConverter', () => {
  it.each([
    ['microseconds', MICRO, 1_700_000_000_123_456n, 1_700_000_000, 123_456_000],
    ['nanoseconds', NANO, 1_700_000_000_123_456_789n, 1_700_000_000, 123_456_789],
    ['milliseconds', 3, 1_700_000_000_999n, 1_700_000_000, 999_000_000],
    ['seconds', 0, 1_700_000_000n, 1_700_000_000, 0],
    ['picoseconds', 12, 12_345_678_901_234_567_890n, 12_345_678, 901_234_567],
    ['2^-10 s', 0x80 | 10, 5n * 1024n + 1n, 5, 976_562],
    ['2^-32 s (NTP-style)', 0x80 | 32, (1_700_000_000n << 32n) | 0x8000_0000n, 1_700_000_000, 500_000_000],
    ['2^-63 s', 0x80 | 63, MAX_U64, 1, 999_999_999],
    ['10^-19 s', 19, MAX_U64, 1, 844_674_407],
  ])('converts %s exactly', (_name, tsresol, count, seconds, nanos) => {
    expect(expected(tsresol, count)).toEqual({ seconds, nanos });
    expect(convert(tsresol, count)).toEqual({ seconds, nanos });
  });

  it('never lets a rounded-up quotient make the remainder negative (values just below a whole second)', () => {
    for (const tsresol of [MICRO, NANO, 3, 7, 11, 12, 15, 19]) {
      const units = unitsPerSecond(tsresol);
      for (const seconds of [1n, 1_700_000_000n, 9_007_199n, (2n ** 53n) / units, MAX_U64 / units]) {
        const count = seconds * units - 1n;
        if (count < 0n || count > MAX_U64) continue;
        expect(convert(tsresol, count), `tsresol ${tsresol}, ${count}`).toEqual(expected(tsresol, count));
      }
    }
  });

  it('keeps nanoseconds exact where whole seconds pass 2^53 and an offset brings them back (seed 251982400)', () => {
    expect(convert(3, 9_007_688_901_639_915_123n, -489_646_898_924).nanos).toBe(123_000_000);
  });

  it('adds if_tsoffset, negative included', () => {
    expect(convert(NANO, 1_000_000_005n, 1_600_000_000)).toEqual({ seconds: 1_600_000_001, nanos: 5 });
    expect(convert(MICRO, 1_700_000_000_000_001n, -3600)).toEqual({ seconds: 1_699_996_400, nanos: 1_000 });
  });

  it('matches BigInt arithmetic for any 64-bit count at every supported resolution', () => {
    const decimal = fc.integer({ min: 0, max: 19 });
    const binary = fc.integer({ min: 0, max: 63 }).map((b) => 0x80 | b);
    fc.assert(
      fc.property(fc.oneof(decimal, binary), fc.bigInt({ min: 0n, max: MAX_U64 }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }), (tsresol, count, offset) => {
        const want = expected(tsresol, count, offset);
        // Whole seconds past 2^53 (before or after the offset) are not representable as a double;
        // nanos still must be exact. (CI found count/10^3 just above 2^53 with an offset bringing the
        // sum back to 2^53 - 1: the quotient had already been rounded.)
        const wholeSeconds = count / unitsPerSecond(tsresol);
        if (Math.abs(want.seconds) > Number.MAX_SAFE_INTEGER || wholeSeconds > BigInt(Number.MAX_SAFE_INTEGER)) {
          return convert(tsresol, count, Number(offset)).nanos === want.nanos;
        }
        const got = convert(tsresol, count, Number(offset));
        return got.seconds === want.seconds && got.nanos === want.nanos;
      }),
      { numRuns: 5000 },
    );
  });

  it('matches BigInt arithmetic for realistic nanosecond and microsecond clocks', () => {
    // 1970 to 2100, where real captures live, at the two resolutions tools actually write.
    fc.assert(
      fc.property(fc.constantFrom(MICRO, NANO), fc.bigInt({ min: 0n, max: 4_102_444_800n * 10n ** 9n }), (tsresol, count) => {
        const got = convert(tsresol, tsresol === MICRO ? count / 1000n : count);
        const want = expected(tsresol, tsresol === MICRO ? count / 1000n : count);
        return got.seconds === want.seconds && got.nanos === want.nanos;
      }),
      { numRuns: 2000 },
    );
  });

  it('supports exactly the resolutions libpcap does', () => {
    expect([0, 6, 9, 19, 0x80, 0x80 | 63].every(isSupportedTsresol)).toBe(true);
    expect([20, 127, 0x80 | 64, 0xff].some(isSupportedTsresol)).toBe(false);
    expect([describeTsresol(9), describeTsresol(0x80 | 20)]).toEqual(['10^-9', '2^-20']);
  });
});

describe('pcapng timestamps end to end', () => {
  it.each(['le', 'be'] as const)('applies each interface its own if_tsresol and if_tsoffset (%s)', async (e: Endian) => {
    const big = 0xfedc_ba98_7654_3210n;
    const path = temp.write(`ts-${e}.pcapng`, Buffer.concat([
      shb(e),
      idb(e, { linkType: 101 }),
      idb(e, { linkType: 101, options: [ifTsresol(NANO), ifTsoffset(e, -86_400n)] }),
      idb(e, { linkType: 101, options: [ifTsoffset(e, 1_000_000_000n), ifTsresol(0x80 | 40)] }),
      idb(e, { linkType: 101, options: [ifTsresol(0x80 | 63)] }),
      epb(e, { interfaceId: 0, timestamp: 1_700_000_000_654_321n, data: Buffer.alloc(0) }),
      epb(e, { interfaceId: 1, timestamp: 1_700_000_000_987_654_321n, data: Buffer.alloc(0) }),
      epb(e, { interfaceId: 2, timestamp: (1234n << 40n) | (1n << 39n), data: Buffer.alloc(0) }),
      epb(e, { interfaceId: 3, timestamp: big, data: Buffer.alloc(0) }),
    ]));
    const sink = new RecordingSink();
    await readCapture(path, sink);
    expect(sink.packets.map((p) => [p.seconds, p.nanos])).toEqual([
      [1_700_000_000, 654_321_000],
      [1_700_000_000 - 86_400, 987_654_321],
      [1_000_001_234, 500_000_000],
      [1, Number(((big - 2n ** 63n) * 10n ** 9n) / 2n ** 63n)],
    ]);
  });
});
