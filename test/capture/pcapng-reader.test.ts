import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/read-capture.js';
import { ethernet, ETHERTYPE, ipv4, ipv6, LINKTYPE, type Endian, udp } from '../../src/frame-builder.js';
import { BLOCK, comment, customBlock, epb, idb, ifName, ifTsresol, ISB, isb, nrb, pb, pcapngBlock, shb, spb } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');

const v4 = (n: number): Buffer => ipv4({ protocol: 17, id: n, payload: udp({ srcPort: 5000 + n, dstPort: 53, payload: Buffer.alloc(n % 7, n) }) });
const eth = (n: number): Buffer => ethernet(v4(n), { etherType: ETHERTYPE.Ipv4 });

async function read(name: string, blocks: Buffer[]) {
  const sink = new RecordingSink();
  const summary = await readCapture(temp.write(name, Buffer.concat(blocks)), sink);
  return { sink, summary };
}

describe.each(['le', 'be'] as const)('pcapng, %s sections', (e: Endian) => {
  it('reads EPBs with the default microsecond resolution, padding and options', async () => {
    const frames = [eth(1), eth(2), eth(3)];
    const { sink, summary } = await read(`basic-${e}.pcapng`, [
      shb(e, [comment('made by a test')]),
      idb(e, { linkType: LINKTYPE.Ethernet, snapLength: 262144, options: [ifName('eth0')] }),
      epb(e, { timestamp: 1_700_000_000_123_456n, data: frames[0] }),
      epb(e, { timestamp: 1_700_000_001_000_001n, data: frames[1], options: [comment('a packet comment')] }),
      epb(e, { timestamp: 1_700_000_002_999_999n, data: frames[2] }),
    ]);
    expect(summary).toMatchObject({ format: 'pcapng', compressed: false, packets: 3, truncatedPackets: 0, sections: 1, skippedBlocks: 0 });
    expect(summary.bytes).toBe(frames[0].length + frames[1].length + frames[2].length);
    expect(summary.interfaces).toEqual([{ linkType: 1, snapLength: 262144, name: 'eth0' }]);
    expect(sink.packets.map((p) => p.data)).toEqual(frames);
    expect(sink.packets.map((p) => [p.linkType, p.seconds, p.nanos])).toEqual([
      [1, 1_700_000_000, 123_456_000],
      [1, 1_700_000_001, 1_000],
      [1, 1_700_000_002, 999_999_000],
    ]);
  });

  it('gives each packet the link type of the interface it names', async () => {
    const raw = v4(9);
    const { sink, summary } = await read(`ifaces-${e}.pcapng`, [
      shb(e),
      idb(e, { linkType: LINKTYPE.Ethernet }),
      idb(e, { linkType: LINKTYPE.Raw, options: [ifTsresol(9)] }),
      idb(e, { linkType: LINKTYPE.LinuxSll2, options: [ifTsresol(3)] }),
      epb(e, { interfaceId: 1, timestamp: 5_000_000_001n, data: raw }),
      epb(e, { interfaceId: 0, timestamp: 5_000_001n, data: eth(1) }),
      epb(e, { interfaceId: 2, timestamp: 5_001n, data: Buffer.alloc(20) }),
    ]);
    expect(summary.interfaces.map((i) => i.linkType)).toEqual([1, 101, 276]);
    expect(sink.packets.map((p) => [p.linkType, p.seconds, p.nanos])).toEqual([
      [101, 5, 1],
      [1, 5, 1_000],
      [276, 5, 1_000_000],
    ]);
    expect(sink.packets[0].data).toEqual(raw);
  });

  it('reads the obsolete Packet Block', async () => {
    const frame = eth(4);
    const { sink, summary } = await read(`pb-${e}.pcapng`, [
      shb(e),
      idb(e, { linkType: LINKTYPE.Null }),
      idb(e, { linkType: LINKTYPE.Ethernet, options: [ifTsresol(9)] }),
      pb(e, { interfaceId: 1, drops: 3, timestamp: 7_000_000_042n, data: frame.subarray(0, 30), originalLength: frame.length }),
    ]);
    expect(summary).toMatchObject({ packets: 1, truncatedPackets: 1, bytes: frame.length });
    expect(sink.packets).toEqual([{ data: frame.subarray(0, 30), originalLength: frame.length, linkType: 1, seconds: 7, nanos: 42 }]);
  });

  it('reads Simple Packet Blocks on interface 0, cut to its snaplen, timed like the packet before', async () => {
    const frame = eth(6);
    const { sink, summary } = await read(`spb-${e}.pcapng`, [
      shb(e),
      idb(e, { linkType: LINKTYPE.Ethernet, snapLength: 40 }),
      spb(e, { data: frame.subarray(0, 40), originalLength: frame.length }),
      epb(e, { timestamp: 3_000_004n, data: frame.subarray(0, 40), originalLength: frame.length }),
      // Written with more bytes than the snaplen: the snaplen bounds what is delivered.
      spb(e, { data: frame, originalLength: frame.length }),
      // The original length bounds it too (the block holds padding past it).
      spb(e, { data: Buffer.alloc(12, 1), originalLength: 10 }),
    ]);
    expect(summary).toMatchObject({ packets: 4, truncatedPackets: 3, bytes: 3 * frame.length + 10 });
    expect(sink.packets.map((p) => [p.data.length, p.originalLength, p.seconds, p.nanos])).toEqual([
      [40, frame.length, 0, 0],
      [40, frame.length, 3, 4_000],
      [40, frame.length, 3, 4_000],
      [10, 10, 3, 4_000],
    ]);
    expect(sink.packets[2].data).toEqual(frame.subarray(0, 40));
  });

  it('keeps Name Resolution Block entries', async () => {
    const { summary } = await read(`nrb-${e}.pcapng`, [
      shb(e),
      nrb(e, [
        { ipv4: '192.0.2.10', names: ['db.example.com', 'db'] },
        { ipv6: '2001:db8::53', names: ['ns.example.com'] },
        { ipv4: '198.51.100.7', names: ['api.example.com'] },
      ]),
      idb(e, { linkType: 1 }),
      epb(e, { data: eth(1) }),
    ]);
    expect(summary.packets).toBe(1);
    expect(Object.fromEntries(summary.resolvedNames)).toEqual({
      '192.0.2.10': ['db.example.com', 'db'],
      '2001:db8::53': ['ns.example.com'],
      '198.51.100.7': ['api.example.com'],
    });
  });

  it('keeps Interface Statistics Block counters, the last block winning', async () => {
    const { summary } = await read(`isb-${e}.pcapng`, [
      shb(e),
      idb(e, { linkType: 1 }),
      idb(e, { linkType: 1 }),
      epb(e, { data: eth(1) }),
      isb(e, { interfaceId: 1, counters: [[ISB.IfDrop, 1n]] }),
      isb(e, {
        interfaceId: 1,
        counters: [
          [ISB.StartTime, 123n],
          [ISB.IfRecv, 1000n],
          [ISB.IfDrop, 17n],
          [ISB.FilterAccept, 900n],
          [ISB.OsDrop, 2n ** 40n + 5n],
          [ISB.UsrDeliv, 880n],
        ],
      }),
    ]);
    expect(summary.interfaces[0].statistics).toBeUndefined();
    expect(summary.interfaces[1].statistics).toEqual({
      receivedByInterface: 1000,
      droppedByInterface: 17,
      acceptedByFilter: 900,
      droppedByOs: 2 ** 40 + 5,
      deliveredToUser: 880,
    });
  });

  it('skips custom, decryption-secrets and unknown blocks by their length, and counts them', async () => {
    const { sink, summary } = await read(`skip-${e}.pcapng`, [
      shb(e),
      customBlock(e, Buffer.from('opaque vendor data')),
      idb(e, { linkType: 1 }),
      epb(e, { data: eth(1) }),
      customBlock(e, Buffer.alloc(4096, 0xff), false),
      pcapngBlock(e, BLOCK.DSB, Buffer.alloc(16, 1)),
      pcapngBlock(e, 0x7fff_1234, Buffer.alloc(0)),
      pcapngBlock(e, 0x0000_0bad + 0x1000, Buffer.alloc(8)),
      epb(e, { data: eth(2) }),
    ]);
    expect(summary.skippedBlocks).toBe(5);
    expect(sink.packets.map((p) => p.data)).toEqual([eth(1), eth(2)]);
  });
});

describe('pcapng with several sections', () => {
  it('switches byte order and interface table at each section header', async () => {
    const raw6 = ipv6({ protocol: 17, payload: udp({ srcPort: 1, dstPort: 2 }) });
    const { sink, summary } = await read('sections.pcapng', [
      shb('le'),
      idb('le', { linkType: LINKTYPE.Ethernet }),
      idb('le', { linkType: LINKTYPE.LinuxSll }),
      epb('le', { interfaceId: 1, timestamp: 1_000_000n, data: Buffer.alloc(16) }),
      shb('be'),
      idb('be', { linkType: LINKTYPE.Ipv6, options: [ifTsresol(9)] }),
      epb('be', { interfaceId: 0, timestamp: 2_000_000_005n, data: raw6 }),
      shb('le'),
      idb('le', { linkType: LINKTYPE.Ethernet, options: [ifTsresol(0x80 | 10)] }),
      epb('le', { interfaceId: 0, timestamp: 3n * 1024n + 512n, data: eth(3) }),
    ]);
    expect(summary.sections).toBe(3);
    expect(summary.interfaces.map((i) => i.linkType)).toEqual([1, 113, 229, 1]);
    expect(sink.packets.map((p) => [p.linkType, p.seconds, p.nanos])).toEqual([
      [113, 1, 0],
      [229, 2, 5],
      [1, 3, 500_000_000],
    ]);
    expect(sink.packets[1].data).toEqual(raw6);
  });

  it('does not let a later section use the interfaces of an earlier one', async () => {
    const sink = new RecordingSink();
    const blocks = [shb('le'), idb('le', { linkType: 1 }), idb('le', { linkType: 1 }), shb('be'), idb('be', { linkType: 1 })];
    const badAt = Buffer.concat(blocks).length;
    const path = temp.write('stale-iface.pcapng', Buffer.concat([...blocks, epb('be', { interfaceId: 1, data: eth(1) })]));
    await expect(readCapture(path, sink)).rejects.toThrow(`${path}: offset ${badAt + 8}: packet names interface 1, but the section declares 1`);
  });
});

describe('pcapng across read chunks', () => {
  it('delivers every packet of a file larger than the read chunk, blocks of all kinds mixed in', async () => {
    const blocks = [shb('le'), idb('le', { linkType: 1, options: [ifTsresol(9)] })];
    const expected: Buffer[] = [];
    for (let i = 0; i < 60_000; i++) {
      const data = eth(i % 97);
      expected.push(data);
      blocks.push(epb('le', { timestamp: BigInt(i) * 1_000_000_007n, data }));
      if (i % 5000 === 4999) {
        blocks.push(customBlock('le', Buffer.alloc(i % 13)), spb('le', { data }));
        expected.push(data);
      }
    }
    const bytes = Buffer.concat(blocks);
    expect(bytes.length).toBeGreaterThan(4 << 20);
    const sink = new RecordingSink();
    const summary = await readCapture(temp.write('big.pcapng', bytes), sink);
    expect(summary.packets).toBe(expected.length);
    expect(summary.skippedBlocks).toBe(12);
    expect(expected.findIndex((data, i) => !sink.packets[i].data.equals(data))).toBe(-1);
    // The last EPB (59 999 s + 59 999 * 7 ns) and the SPB after it, which takes its time.
    expect(sink.packets.slice(-2).map((p) => [p.seconds, p.nanos])).toEqual([
      [59_999, 419_993],
      [59_999, 419_993],
    ]);
  });
});
