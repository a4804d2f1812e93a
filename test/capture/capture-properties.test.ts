import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../src/capture/capture-error.js';
import type { CaptureSummary, PacketSink } from '../../src/capture/packet-sink.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { flowRecordJson } from '../../src/export/flow-record-json.js';
import { FlowTableText } from '../../src/export/flow-table-text.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { mutate, mutationsArb } from './byte-mutations.js';
import { expectedPackets, hostilePcapArb, hostilePcapngArb, pcapCaptureArb, pcapngCaptureArb, type BuiltCapture } from './capture-arbitraries.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');
let fileNumber = 0;

/** Runs per property: enough to find the bugs these found, small enough for a shared machine. */
const RUNS = 300;
/** A read of these few-KiB files takes milliseconds; anything near this is a hang. */
const READ_TIME_LIMIT_MS = 5_000;

/** Records every packet, and decodes it too, so one read exercises the whole per-packet path. */
class DecodingSink extends RecordingSink implements PacketSink {
  readonly decoder = new PacketDecoder();

  override onPacket(data: Buffer, offset: number, capturedLength: number, originalLength: number, linkType: number, seconds: number, nanos: number): void {
    super.onPacket(data, offset, capturedLength, originalLength, linkType, seconds, nanos);
    this.decoder.decode(data, offset, capturedLength, linkType);
  }
}

function withinTimeLimit<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`read did not finish in ${READ_TIME_LIMIT_MS} ms`)), READ_TIME_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

interface Reads {
  path: string;
  strict: { summary?: CaptureSummary; error?: unknown; sink: DecodingSink };
  keepGoing: { summary: CaptureSummary; sink: DecodingSink };
}

/**
 * Reads a file strictly and with keepGoing and checks what must hold for any input at all:
 * strictly, it reads or throws a CaptureFormatError (nothing else); with keepGoing it never
 * throws; both deliver the same packets; summaries count exactly what was delivered; the
 * decoder counts every delivered packet once.
 */
async function readAnyInput(bytes: Buffer): Promise<Reads> {
  const path = temp.write(`input-${fileNumber++}`, bytes);
  const strictSink = new DecodingSink();
  const strict: Reads['strict'] = await withinTimeLimit(readCapture(path, strictSink)).then(
    (summary) => ({ summary, sink: strictSink }),
    (error: unknown) => ({ error, sink: strictSink }),
  );
  if (strict.error !== undefined && !(strict.error instanceof CaptureFormatError)) throw strict.error;

  const sink = new DecodingSink();
  const summary = await withinTimeLimit(readCapture(path, sink, { keepGoing: true }));
  expect(summary.packets).toBe(sink.packets.length);
  expect(sink.packets).toEqual(strict.sink.packets);
  if (strict.error instanceof CaptureFormatError) {
    expect(summary.damage).toEqual({ offset: strict.error.offset, reason: strict.error.reason, compressedOffset: strict.error.compressedOffset });
    expect(strict.error.message).toMatch(summary.compressed ? /: decompressed offset \d+(, compressed offset \d+)?: / : /: offset \d+: /);
    expect(strict.error.message).not.toContain('\n');
    expect(strict.error.offset).toBeGreaterThanOrEqual(0);
    if (!summary.compressed) expect(strict.error.offset).toBeLessThanOrEqual(bytes.length);
  } else {
    expect(summary.damage).toBeUndefined();
    expect(strict.summary?.packets).toBe(summary.packets);
  }
  for (const s of [strict.sink, sink]) expect(s.decoder.counts.reduce((a, b) => a + b, 0)).toBe(s.packets.length);
  expect(summary.truncatedPackets).toBe(sink.packets.filter((p) => p.data.length < p.originalLength).length);
  return { path, strict, keepGoing: { summary, sink } };
}

const anyCapture = fc.oneof(pcapCaptureArb, pcapngCaptureArb);

describe('readers on valid captures', () => {
  it.each([
    ['pcap', pcapCaptureArb],
    ['pcapng', pcapngCaptureArb],
  ])('deliver exactly the packets written (%s), plain and gzip', async (_format, arb) => {
    await fc.assert(
      fc.asyncProperty(arb, fc.boolean(), async (capture, gzip) => {
        const { keepGoing } = await readAnyInput(gzip ? gzipSync(capture.bytes) : capture.bytes);
        expect(keepGoing.summary.damage).toBeUndefined();
        expect(keepGoing.summary.compressed).toBe(gzip);
        expect(keepGoing.sink.packets).toEqual(expectedPackets(capture));
      }),
      { numRuns: RUNS },
    );
  });
});

/** The offset where the unit containing byte `cut` starts, or null if `cut` ends a unit. */
function damageOffsetForCut(capture: BuiltCapture, cut: number): number | null {
  let start = 0;
  for (const unit of capture.units) {
    if (cut === start + unit.length) return null;
    if (cut < start + unit.length) return start;
    start += unit.length;
  }
  return null;
}

describe('readers on captures cut short', () => {
  it('deliver every packet wholly before the cut and report the damage where the cut unit starts', async () => {
    await fc.assert(
      fc.asyncProperty(anyCapture, fc.nat(), fc.boolean(), async (capture, at, gzip) => {
        const cut = at % (capture.bytes.length + 1);
        const bytes = capture.bytes.subarray(0, cut);
        const { keepGoing } = await readAnyInput(gzip ? gzipSync(bytes) : bytes);
        let end = 0;
        const before = capture.units.filter((u) => (end += u.length) <= cut).flatMap((u) => (u.packet ? [u.packet] : []));
        expect(keepGoing.sink.packets).toEqual(before);
        const offset = damageOffsetForCut(capture, cut);
        expect(keepGoing.summary.damage?.offset ?? null).toBe(cut === 0 ? 0 : offset);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('readers on damaged and random input', () => {
  it('never throw anything but CaptureFormatError on mutated captures, plain or gzip', async () => {
    await fc.assert(
      fc.asyncProperty(anyCapture, mutationsArb, fc.constantFrom('plain', 'gzip-inside', 'gzip-outside'), async (capture, mutations, packing) => {
        // gzip-inside damages the capture and then compresses it; gzip-outside damages the gzip stream.
        const bytes =
          packing === 'plain' ? mutate(capture.bytes, mutations) : packing === 'gzip-inside' ? gzipSync(mutate(capture.bytes, mutations)) : mutate(gzipSync(capture.bytes), mutations);
        await readAnyInput(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throw anything but CaptureFormatError on random bytes behind a valid magic', async () => {
    const magics = [[], [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d], [0x34, 0xcd, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a], [0x1f, 0x8b]];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 300 }), async (magic, rest) => {
        await readAnyInput(Buffer.concat([Buffer.from(magic), rest]));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('readers on hostile shapes (many blocks, huge counts and lengths, far timestamps, option overruns)', () => {
  it('end in packets and counted outcomes or one CaptureFormatError; the flow stage and reports never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostilePcapngArb, hostilePcapArb), fc.boolean(), async (bytes, gzip) => {
        const { path, keepGoing } = await readAnyInput(gzip ? gzipSync(bytes) : bytes);
        for (const w of keepGoing.summary.warnings) {
          expect(w.count).toBeGreaterThan(0);
          expect(w.reason).not.toContain('\n');
        }
        // The same file through decode, the flow table and the per-flow reports: every packet is
        // counted once by outcome (timestamp-out-of-range among them), and no report throws.
        const table = new FlowTableText();
        const result = await withinTimeLimit(readFlows([path], { onFlow: (f) => void (table.onFlow(f), flowRecordJson(f)) }, { keepGoing: true }));
        expect(Object.values(result.decode).reduce((a, b) => a + b, 0)).toBe(keepGoing.summary.packets);
        table.finish();
      }),
      { numRuns: 150 },
    );
  });
});
