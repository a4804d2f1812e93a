import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read-capture.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, type Endian, udp } from '../../src/frame-builder.js';
import { pcapFile, pcapHeader, type PcapRecord, type PcapSpec } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');

function frame(n: number): Buffer {
  return ethernet(ipv4({ protocol: 17, id: n, payload: udp({ srcPort: 1000 + n, dstPort: 53, payload: Buffer.alloc(n, n) }) }), { etherType: ETHERTYPE.Ipv4 });
}

async function read(name: string, bytes: Buffer) {
  const sink = new RecordingSink();
  const summary = await readCapture(temp.write(name, bytes), sink);
  return { sink, summary };
}

describe('classic pcap', () => {
  const variants: { endian: Endian; nanos: boolean; modified: boolean }[] = [];
  for (const endian of ['le', 'be'] as const) {
    variants.push({ endian, nanos: false, modified: false }, { endian, nanos: true, modified: false }, { endian, nanos: false, modified: true });
  }

  it.each(variants)('reads every record of a $endian file (nanos $nanos, modified $modified)', async ({ endian, nanos, modified }) => {
    const spec: PcapSpec = { endian, nanos, modified, linkType: LINKTYPE.Ethernet, snapLength: 65535 };
    const records: PcapRecord[] = [0, 1, 2].map((n) => ({ seconds: 1_700_000_000 + n, fraction: nanos ? 999_999_999 - n : 999_999 - n, data: frame(n) }));
    const { sink, summary } = await read(`v-${endian}-${nanos}-${modified}.pcap`, pcapFile(spec, records));

    expect(summary).toMatchObject({ format: 'pcap', compressed: false, packets: 3, truncatedPackets: 0, sections: 1, skippedBlocks: 0 });
    expect(summary.damage).toBeUndefined();
    expect(summary.bytes).toBe(records.reduce((n, r) => n + r.data.length, 0));
    expect(summary.interfaces).toEqual([{ linkType: LINKTYPE.Ethernet, snapLength: 65535 }]);
    expect(sink.packets.map((p) => p.data)).toEqual(records.map((r) => r.data));
    expect(sink.packets.map((p) => [p.seconds, p.nanos, p.linkType])).toEqual([
      [1_700_000_000, nanos ? 999_999_999 : 999_999_000, 1],
      [1_700_000_001, nanos ? 999_999_998 : 999_998_000, 1],
      [1_700_000_002, nanos ? 999_999_997 : 999_997_000, 1],
    ]);
  });

  it('reads a file with a global header and no records as zero packets', async () => {
    const { sink, summary } = await read('empty.pcap', pcapHeader({ endian: 'le', linkType: LINKTYPE.Raw }));
    expect(summary).toMatchObject({ format: 'pcap', packets: 0, bytes: 0 });
    expect(summary.interfaces).toEqual([{ linkType: LINKTYPE.Raw, snapLength: 65535 }]);
    expect(sink.packets).toHaveLength(0);
  });

  it.each([0, 1, 68, 96, 65535, 262144, 0x7fffffff, 0xffffffff])('accepts snaplen %d in the header', async (snapLength) => {
    const data = frame(10);
    const { sink, summary } = await read(`snap-${snapLength}.pcap`, pcapFile({ endian: 'be', linkType: 1, snapLength }, [{ seconds: 1, fraction: 2, data }]));
    expect(summary.interfaces[0].snapLength).toBe(snapLength);
    expect(sink.packets.map((p) => p.data)).toEqual([data]);
  });

  it('keeps both lengths of records cut by the snaplen and counts them', async () => {
    const whole = frame(200);
    const records = [
      { seconds: 1, fraction: 0, data: whole.subarray(0, 68), originalLength: whole.length },
      { seconds: 2, fraction: 0, data: frame(1) },
      { seconds: 3, fraction: 0, data: Buffer.alloc(0), originalLength: 1514 },
    ];
    const { sink, summary } = await read('cut.pcap', pcapFile({ endian: 'le', linkType: 1, snapLength: 68 }, records));
    expect(summary.packets).toBe(3);
    expect(summary.truncatedPackets).toBe(2);
    expect(summary.bytes).toBe(whole.length + frame(1).length + 1514);
    expect(sink.packets.map((p) => [p.data.length, p.originalLength])).toEqual([
      [68, whole.length],
      [frame(1).length, frame(1).length],
      [0, 1514],
    ]);
  });

  it('takes the link type from the low 16 bits, ignoring the FCS flags above them', async () => {
    // 0x04000000 says an FCS length is present, 0x40000000 that it is 4 bytes (libpcap's LT_FCS_*).
    const { sink, summary } = await read('fcs.pcap', pcapFile({ endian: 'le', linkType: 0x4400_0000 | LINKTYPE.LinuxSll }, [{ seconds: 0, fraction: 0, data: Buffer.alloc(20) }]));
    expect(summary.interfaces[0].linkType).toBe(LINKTYPE.LinuxSll);
    expect(sink.packets[0].linkType).toBe(LINKTYPE.LinuxSll);
  });

  it('reads many small records across chunk boundaries, and a record larger than what is left of the chunk', async () => {
    // The reader pulls 256 KiB at a time: 60 000 records of 60-120 bytes cross that boundary, and
    // a record larger than what is left of the buffer makes it move the tail and read again.
    const records: PcapRecord[] = [];
    for (let i = 0; i < 60_000; i++) records.push({ seconds: i, fraction: i % 1_000_000, data: frame(i % 64) });
    records.push({ seconds: 99, fraction: 0, data: Buffer.alloc(200_000, 7) });
    const bytes = pcapFile({ endian: 'le', linkType: 1, snapLength: 262144 }, records);
    expect(bytes.length).toBeGreaterThan(4 << 20);
    const { sink, summary } = await read('many.pcap', bytes);
    expect(summary.packets).toBe(records.length);
    expect(sink.packets.length).toBe(records.length);
    const mismatched = records.findIndex((r, i) => !sink.packets[i].data.equals(r.data) || sink.packets[i].seconds !== r.seconds);
    expect(mismatched).toBe(-1);
  });
});
