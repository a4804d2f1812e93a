import { describe, expect, it } from 'vitest';
import { MAX_RESOLVED_NAME_BYTES, MAX_RESOLVED_NAMES } from '../../src/capture/pcapng-reader.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, udp, u16 } from '../../src/frame-builder.js';
import { epb, idb, nrb, pb, pcapFile, pcapHeader, pcapRecord, shb, type PcapSpec } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');
let fileNumber = 0;

const frame = (n: number): Buffer => ethernet(ipv4({ protocol: 17, id: n, payload: udp({ srcPort: n, dstPort: 53 }) }), { etherType: ETHERTYPE.Ipv4 });

async function read(bytes: Buffer) {
  const sink = new RecordingSink();
  const summary = await readCapture(temp.write(`warned-${fileNumber++}`, bytes), sink);
  return { sink, summary };
}

/** A pcap file whose header says `major.minor`. */
function withVersion(spec: PcapSpec, major: number, minor: number, records: Buffer[]): Buffer {
  const header = pcapHeader(spec);
  u16(major, spec.endian).copy(header, 4);
  u16(minor, spec.endian).copy(header, 6);
  return Buffer.concat([header, ...records]);
}

describe('pcap versions other than 2.4', () => {
  const spec: PcapSpec = { endian: 'be', linkType: LINKTYPE.Ethernet };

  it('reads a newer version as 2.4 with one warning at the version field, as tshark reads it', async () => {
    const { sink, summary } = await read(withVersion(spec, 3, 0, [pcapRecord(spec, { seconds: 1, fraction: 0, data: frame(1) })]));
    expect(sink.packets.map((p) => p.data)).toEqual([frame(1)]);
    expect(summary.warnings).toEqual([{ kind: 'pcap-version', offset: 4, reason: 'pcap version 3.0 is not 2.4 (read as 2.4, as tshark does; tcpdump refuses it)', count: 1 }]);
  });

  it('reads an older 2.x with lengths in the old order swapped back, as libpcap does', async () => {
    // Before 2.3 the original length came first: a 20-byte cut of a longer frame reads as caplen > len.
    const data = frame(2).subarray(0, 20);
    const oldOrder = pcapRecord(spec, { seconds: 2, fraction: 0, data, originalLength: frame(2).length });
    oldOrder.writeUInt32BE(frame(2).length, 8);
    oldOrder.writeUInt32BE(data.length, 12);
    const { sink, summary } = await read(withVersion(spec, 2, 2, [oldOrder, pcapRecord(spec, { seconds: 3, fraction: 0, data: frame(3) })]));
    expect(sink.packets.map((p) => [p.data, p.originalLength])).toEqual([
      [data, frame(2).length],
      [frame(3), frame(3).length],
    ]);
    expect(summary.truncatedPackets).toBe(1);
    expect(summary.warnings.map((w) => [w.kind, w.offset, w.count])).toEqual([['pcap-version', 4, 1]]);
    expect(summary.warnings[0].reason).toBe('pcap version 2.2 is not 2.4 (read as libpcap does: where a captured length exceeds the original, the two are swapped)');
  });
});

describe('pcap fractions of a second at or above one second', () => {
  it.each([
    ['microsecond', false, 999_999, 1_000_000],
    ['nanosecond', true, 999_999_999, 1_000_000_000],
  ])('are read as they are in a %s file, with a warning at the first one (tshark: "Fractional second N is invalid")', async (_kind, nanos, last, limit) => {
    const spec: PcapSpec = { endian: 'le', linkType: LINKTYPE.Ethernet, nanos };
    const { sink, summary } = await read(pcapFile(spec, [last, limit, 0xffff_ffff].map((fraction) => ({ seconds: 5, fraction, data: frame(1) }))));
    expect(sink.packets.map((p) => p.nanos)).toEqual([last, limit, 0xffff_ffff].map((f) => (nanos ? f : f * 1000)));
    const second = 24 + 16 + frame(1).length;
    expect(summary.warnings).toEqual([{ kind: 'fraction-out-of-range', offset: second + 4, reason: `fraction of a second ${limit} is not below ${limit}`, count: 2 }]);
  });
});

describe('records whose captured length exceeds their original length', () => {
  it('are delivered and counted in pcap, the first one named by its offset (tcpdump: "Invalid header")', async () => {
    const spec: PcapSpec = { endian: 'le', linkType: LINKTYPE.Ethernet };
    const records = [1, 2, 3].map((n) => ({ seconds: n, fraction: 0, data: frame(n), originalLength: n === 1 ? frame(n).length : 20 }));
    const { sink, summary } = await read(pcapFile(spec, records));
    expect(sink.packets.map((p) => p.originalLength)).toEqual([frame(1).length, 20, 20]);
    expect(summary.warnings).toEqual([
      { kind: 'captured-length-exceeds-original', offset: 24 + 16 + frame(1).length, reason: `captured length ${frame(2).length} exceeds the original length 20`, count: 2 },
    ]);
  });

  it('are delivered and counted in pcapng EPBs and PBs, at the captured length field', async () => {
    const head = Buffer.concat([shb('le'), idb('le', { linkType: LINKTYPE.Ethernet })]);
    const { sink, summary } = await read(Buffer.concat([head, epb('le', { data: frame(1), originalLength: 10 }), pb('le', { data: frame(2), originalLength: 10 })]));
    expect(sink.packets).toHaveLength(2);
    expect(summary.warnings).toEqual([{ kind: 'captured-length-exceeds-original', offset: head.length + 20, reason: `captured length ${frame(1).length} exceeds the original length 10`, count: 2 }]);
  });
});

describe('name resolution entries past the memory bounds', () => {
  const head = Buffer.concat([shb('le'), idb('le', { linkType: LINKTYPE.Ethernet })]);
  const address = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

  it('are counted, not kept, past the address bound', async () => {
    const entries = Array.from({ length: MAX_RESOLVED_NAMES + 2 }, (_, n) => ({ ipv4: address(n), names: [`h${n}`] }));
    const blocks = [nrb('le', entries.slice(0, MAX_RESOLVED_NAMES)), nrb('le', entries.slice(MAX_RESOLVED_NAMES))];
    const { summary } = await read(Buffer.concat([head, ...blocks]));
    expect(summary.resolvedNames.size).toBe(MAX_RESOLVED_NAMES);
    expect(summary.resolvedNames.get(address(0))).toEqual(['h0']);
    expect(summary.warnings).toEqual([
      { kind: 'names-not-kept', offset: head.length + blocks[0].length + 8, reason: `name resolution entries past ${MAX_RESOLVED_NAMES} addresses or 16 MiB of names are counted, not kept`, count: 2 },
    ]);
  });

  it('are counted, not kept, past the bound on name bytes', async () => {
    // 60,000-byte names: the budget holds 279 of them, whatever the number of addresses.
    const name = (n: number): string => `${n}`.padEnd(60_000, 'x');
    const blocks = Array.from({ length: 300 }, (_, n) => nrb('le', [{ ipv4: address(n), names: [name(n)] }]));
    const { summary } = await read(Buffer.concat([head, ...blocks]));
    const kept = Math.floor(MAX_RESOLVED_NAME_BYTES / 60_001);
    expect(summary.resolvedNames.size).toBe(kept);
    expect(summary.warnings.map((w) => [w.kind, w.count])).toEqual([['names-not-kept', 300 - kept]]);
  });
});
