import { describe, expect, it } from 'vitest';
import { CAPTURE_TIME_END_SECONDS } from '../../src/capture/capture-time.js';
import { isoTime } from '../../src/export/iso-time.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, TCP_FLAGS, tcp } from '../../src/frame-builder.js';
import { epb, idb, ifTsoffset, ifTsresol, shb } from '../support/capture-writer.js';
import { tempDir } from '../support/temp-dir.js';
import { RecordingSink } from '../support/recording-sink.js';

const temp = tempDir('capture');

const syn = (port: number): Buffer =>
  ethernet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: port, dstPort: 443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 });

describe('packet times no report can print', () => {
  it('are counted as timestamp-out-of-range and kept out of the flows, whatever made them far', async () => {
    const bytes = Buffer.concat([
      shb('le'),
      idb('le', { linkType: LINKTYPE.Ethernet }), // microseconds
      idb('le', { linkType: LINKTYPE.Ethernet, options: [ifTsresol(0)] }), // whole seconds
      idb('le', { linkType: LINKTYPE.Ethernet, options: [ifTsoffset('le', -(2n ** 40n))] }),
      epb('le', { interfaceId: 0, timestamp: 1_700_000_000_000_000n, data: syn(40000) }),
      // The reproduction: high word 0x7ffffffc of microseconds, the year 294247.
      epb('le', { interfaceId: 0, timestamp: 0x7ffffffcn << 32n, data: syn(40001) }),
      epb('le', { interfaceId: 1, timestamp: 2n ** 64n - 1n, data: syn(40002) }),
      epb('le', { interfaceId: 1, timestamp: BigInt(CAPTURE_TIME_END_SECONDS), data: syn(40003) }),
      epb('le', { interfaceId: 1, timestamp: BigInt(CAPTURE_TIME_END_SECONDS - 1), data: syn(40004) }),
      epb('le', { interfaceId: 2, timestamp: 1_000_000n, data: syn(40005) }), // before 1970 by the offset
    ]);
    const recording = new RecordingSink();
    const { flows } = recording;
    const result = await readFlows([temp.write('far.pcapng', bytes)], recording);
    expect(result.captures[0].packets).toBe(6);
    expect(result.decode).toEqual({ ok: 2, 'timestamp-out-of-range': 4 });
    expect(flows.map((f) => [f.client.port, isoTime(f.firstSeen)])).toEqual([
      [40000, '2023-11-14T22:13:20.000000Z'],
      [40004, '9999-12-31T23:59:59.000000Z'],
    ]);
  });
});

describe('isoTime', () => {
  it('writes any number it is given, never throwing as Date does', () => {
    expect(isoTime(1_700_000_000.5)).toBe('2023-11-14T22:13:20.500000Z');
    expect(isoTime(253_402_300_800)).toBe('+010000-01-01T00:00:00.000000Z');
    expect(() => new Date(9_223_372_019_674 * 1000).toISOString()).toThrow(RangeError);
    expect(isoTime(9_223_372_019_674)).toBe('9223372019674');
    expect(isoTime(-1e300)).toBe('-1e+300');
    expect(isoTime(Number.NaN)).toBe('NaN');
    expect(isoTime(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
