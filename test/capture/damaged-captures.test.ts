import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../src/capture/capture-error.js';
import { MAX_INTERFACE_NAME_BYTES, MAX_INTERFACES } from '../../src/capture/pcapng-reader.js';
import { readCapture } from '../../src/capture/read-capture.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, u16, u32, udp } from '../../src/frame-builder.js';
import { epb, idb, ifName, ifTsresol, isb, ISB, pcapFile, pcapHeader, pcapngBlock, pcapRecord, pb, shb, spb, type PcapSpec } from '../support/capture-writer.js';
import { RecordingSink } from '../support/recording-sink.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('capture');
let fileNumber = 0;

const frame = (n: number): Buffer => ethernet(ipv4({ protocol: 17, id: n, payload: udp({ srcPort: n, dstPort: 53 }) }), { etherType: ETHERTYPE.Ipv4 });

/**
 * Reads `bytes` twice: strictly, expecting a CaptureFormatError with exactly `FILE: offset N:
 * reason`; and with keepGoing, expecting that damage in the summary and the `before` packets
 * (every packet ahead of the damage) delivered and counted.
 */
async function expectDamage(bytes: Buffer, offset: number, reason: string | RegExp, before = 0): Promise<void> {
  const path = temp.write(`damaged-${fileNumber++}`, bytes);
  const strict = await readCapture(path, new RecordingSink()).then(
    () => null,
    (err: unknown) => err,
  );
  expect(strict).toBeInstanceOf(CaptureFormatError);
  const error = strict as CaptureFormatError;
  expect(error.offset).toBe(offset);
  if (typeof reason === 'string') expect(error.reason).toBe(reason);
  else expect(error.reason).toMatch(reason);
  expect(error.message).toBe(`${path}: offset ${offset}: ${error.reason}`);
  expect(error.message).not.toContain('\n');

  const sink = new RecordingSink();
  const summary = await readCapture(path, sink, { keepGoing: true });
  expect(summary.damage).toEqual({ offset, reason: error.reason });
  expect(sink.packets).toHaveLength(before);
  expect(summary.packets).toBe(before);
}

describe('damaged classic pcap', () => {
  const spec: PcapSpec = { endian: 'le', linkType: LINKTYPE.Ethernet, snapLength: 65535 };
  const header = pcapHeader(spec);
  const records = [0, 1, 2].map((n) => pcapRecord(spec, { seconds: n, fraction: 0, data: frame(n) }));
  const good = Buffer.concat([header, ...records]);

  it('rejects an empty file and one too short to hold a magic number', async () => {
    await expectDamage(Buffer.alloc(0), 0, 'file too short to be a capture (0 bytes)');
    await expectDamage(Buffer.from([0xd4, 0xc3, 0xb2]), 0, 'file too short to be a capture (3 bytes)');
  });

  it('rejects a wrong magic number', async () => {
    await expectDamage(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0, 'not a pcap or pcapng file (magic 0x47455420)');
    await expectDamage(Buffer.alloc(100), 0, 'not a pcap or pcapng file (magic 0x00000000)');
  });

  it('rejects a truncated global header', async () => {
    await expectDamage(header.subarray(0, 20), 0, 'file ends inside the pcap global header (20 of 24 bytes)');
  });

  it('rejects a file that ends inside a record header, keeping the records before it', async () => {
    const bytes = Buffer.concat([header, records[0], records[1], records[2].subarray(0, 10)]);
    await expectDamage(bytes, 24 + records[0].length + records[1].length, 'file ends inside a record (10 of 16 bytes present)', 2);
  });

  it('rejects a file that ends inside a record body, keeping the records before it', async () => {
    const cut = good.length - 5;
    await expectDamage(good.subarray(0, cut), good.length - records[2].length, `file ends inside a record (${records[2].length - 5} of ${records[2].length} bytes present)`, 2);
  });

  it('rejects an absurd captured length at the record that has it, after delivering and counting the earlier ones', async () => {
    const bad = Buffer.from(records[1]);
    bad.writeUInt32LE(0x7fff_fff0, 8);
    const bytes = Buffer.concat([header, records[0], bad, records[2]]);
    await expectDamage(bytes, 24 + records[0].length, 'record captured length 2147483632 exceeds the limit of 262144 bytes', 1);
  });

  it('rejects an absurd captured length even when the header claims an absurd snaplen', async () => {
    const wide = { ...spec, snapLength: 0xffff_ffff };
    const bad = pcapRecord(wide, { seconds: 0, fraction: 0, data: Buffer.alloc(0) });
    bad.writeUInt32LE(0xffff_fff0, 8);
    const bytes = Buffer.concat([pcapFile(wide, [{ seconds: 0, fraction: 0, data: frame(0) }]), bad]);
    await expectDamage(bytes, bytes.length - 16, /^record captured length 4294967280 exceeds the limit of \d+ bytes$/, 1);
  });

  it('rejects a version older than 2.0 at its version field, as libpcap and tshark do', async () => {
    const old = Buffer.from(good);
    old.writeUInt16LE(1, 4);
    await expectDamage(old, 4, 'pcap version 1.4 is older than 2.0, which libpcap and tshark refuse');
  });

  it('rejects the same damage in a big-endian file at the same offset', async () => {
    const be = { ...spec, endian: 'be' as const };
    const bad = pcapRecord(be, { seconds: 0, fraction: 0, data: Buffer.alloc(0) });
    bad.writeUInt32BE(300_000, 8);
    await expectDamage(Buffer.concat([pcapFile(be, [{ seconds: 0, fraction: 0, data: frame(5) }]), bad]), 24 + 16 + frame(5).length, 'record captured length 300000 exceeds the limit of 262144 bytes', 1);
  });
});

describe('damaged pcapng', () => {
  const head = Buffer.concat([shb('le'), idb('le', { linkType: 1 })]);
  const packets = [0, 1, 2].map((n) => epb('le', { timestamp: BigInt(n), data: frame(n) }));
  const good = Buffer.concat([head, ...packets]);

  /** The file up to and including `count` good EPBs, then `tail`. */
  const after = (count: number, tail: Buffer): Buffer => Buffer.concat([head, ...packets.slice(0, count), tail]);
  const offsetAfter = (count: number): number => head.length + packets.slice(0, count).reduce((n, p) => n + p.length, 0);

  it('rejects a section header with a bad byte-order magic', async () => {
    const bytes = Buffer.from(good);
    bytes.writeUInt32LE(0x1a2b3c4e, 8);
    await expectDamage(bytes, 8, 'section header has a bad byte-order magic 0x1a2b3c4e');
  });

  it('rejects a file that ends inside a block header', async () => {
    await expectDamage(after(2, Buffer.alloc(7)), offsetAfter(2), 'file ends inside a block header (7 of 12 bytes present)', 2);
  });

  it('rejects a file that ends inside a block', async () => {
    await expectDamage(good.subarray(0, good.length - 1), offsetAfter(2), `file ends inside a block of type 0x6 (${packets[2].length - 1} of ${packets[2].length} bytes present)`, 2);
    await expectDamage(head.subarray(0, head.length - 4), shb('le').length, 'file ends inside a block of type 0x1 (16 of 20 bytes present)');
  });

  it.each([
    [0, 'zero'],
    [8, 'below the 12-byte minimum'],
    [30, 'not a multiple of 4'],
    [0x7fff_fff0, 'absurd'],
  ])('rejects a block length of %d (%s) at its length field', async (length) => {
    const block = Buffer.concat([u32(6, 'le'), u32(length, 'le'), Buffer.alloc(32)]);
    await expectDamage(after(1, block), offsetAfter(1) + 4, `block of type 0x6 has an invalid length ${length}`, 1);
  });

  it('rejects a block whose trailing length differs, at the trailing length', async () => {
    const block = pcapngBlock('le', 6, Buffer.alloc(24), 40);
    await expectDamage(after(2, block), offsetAfter(2) + 32, 'block trailing length 40 differs from its leading length 36', 2);
  });

  it('finds a differing trailing length inside a run of EPBs too', async () => {
    const bad = Buffer.from(packets[1]);
    bad.writeUInt32LE(bad.length + 4, bad.length - 4);
    await expectDamage(Buffer.concat([head, packets[0], bad, packets[2]]), offsetAfter(2) - 4, `block trailing length ${bad.length + 4} differs from its leading length ${bad.length}`, 1);
  });

  it('rejects an EPB whose captured length runs past its block, first in the checked path and then in the EPB run', async () => {
    for (const position of [0, 2]) {
      const bad = Buffer.from(packets[position]);
      bad.writeUInt32LE(bad.length, 20);
      const blocks = [...packets];
      blocks[position] = bad;
      await expectDamage(Buffer.concat([head, ...blocks]), offsetAfter(position) + 20, `captured length ${bad.length} exceeds its block (${bad.length} bytes)`, position);
    }
  });

  it('rejects an EPB too short to hold its fixed fields', async () => {
    await expectDamage(after(1, pcapngBlock('le', 6, Buffer.alloc(16))), offsetAfter(1), 'enhanced packet block too short (28 bytes)', 1);
  });

  it('rejects a packet naming an interface the section never declared', async () => {
    await expectDamage(after(3, epb('le', { interfaceId: 1, data: frame(9) })), offsetAfter(3) + 8, 'packet names interface 1, but the section declares 1', 3);
  });

  it('rejects a simple packet block before any interface, and one too short for its length field', async () => {
    await expectDamage(Buffer.concat([shb('le'), spb('le', { data: frame(1) })]), shb('le').length, 'simple packet block before any interface description');
    await expectDamage(after(1, pcapngBlock('le', 3, Buffer.alloc(0))), offsetAfter(1), 'simple packet block too short (12 bytes)', 1);
  });

  it('rejects an interface description or statistics block too short for its fields', async () => {
    await expectDamage(after(1, pcapngBlock('le', 1, Buffer.alloc(4))), offsetAfter(1), 'interface description block too short (16 bytes)', 1);
    await expectDamage(after(1, pcapngBlock('le', 5, Buffer.alloc(8))), offsetAfter(1), 'interface statistics block too short (20 bytes)', 1);
    await expectDamage(after(1, isb('le', { interfaceId: 4, counters: [[ISB.IfDrop, 1n]] })), offsetAfter(1) + 8, 'statistics name interface 4, but the section declares 1', 1);
  });

  it('rejects a timestamp resolution too fine for 64-bit timestamps, as libpcap does', async () => {
    const shbLength = shb('le').length;
    // The option's value sits after the IDB's 16 fixed bytes and the 4-byte option header.
    await expectDamage(Buffer.concat([shb('le'), idb('le', { linkType: 1, options: [ifTsresol(20)] })]), shbLength + 20, 'if_tsresol 10^-20 is finer than a 64-bit timestamp can count');
    await expectDamage(Buffer.concat([shb('le'), idb('le', { linkType: 1, options: [ifTsresol(0x80 | 64)] })]), shbLength + 20, 'if_tsresol 2^-64 is finer than a 64-bit timestamp can count');
  });

  describe('an option whose length runs past its block, as tshark rejects it, at the option', () => {
    /** Options whose last one claims 40 bytes where only 4 are left. */
    const overrun = Buffer.concat([u16(1, 'le'), u16(3, 'le'), Buffer.from('ab\0\0'), u16(2, 'le'), u16(40, 'le'), Buffer.from('eth0')]);
    const reason = 'option 2 of length 40 runs past the end of its block (4 bytes left)';
    const shbBody = shb('le').subarray(8, 24);
    const idbBody = idb('le', { linkType: 1 }).subarray(8, 16);
    const epbBody = (n: number): Buffer => epb('le', { data: frame(n) }).subarray(8, -4);

    it.each([
      ['a section header', () => pcapngBlock('le', 0x0a0d0d0a, Buffer.concat([shbBody, overrun])), 0, 16],
      ['an interface description', () => Buffer.concat([shb('le'), pcapngBlock('le', 1, Buffer.concat([idbBody, overrun]))]), shb('le').length, 8],
      ['an EPB reached through the checked path', () => after(0, pcapngBlock('le', 6, Buffer.concat([epbBody(7), overrun]))), offsetAfter(0), epbBody(7).length],
      ['an EPB inside a run of EPBs', () => after(2, pcapngBlock('le', 6, Buffer.concat([epbBody(7), overrun]))), offsetAfter(2), epbBody(7).length],
      ['an obsolete packet block', () => after(1, pcapngBlock('le', 2, Buffer.concat([pb('le', { data: frame(7) }).subarray(8, -4), overrun]))), offsetAfter(1), pb('le', { data: frame(7) }).length - 12],
      ['an interface statistics block', () => after(1, pcapngBlock('le', 5, Buffer.concat([Buffer.alloc(12), overrun]))), offsetAfter(1), 12],
    ])('in %s', async (_block, bytes, blockOffset, bodyLength) => {
      const packetsBefore = blockOffset <= head.length ? 0 : packets.findIndex((_, i) => offsetAfter(i) === blockOffset);
      // The overrunning option starts 8 bytes into `overrun`, after the block header and body.
      await expectDamage(bytes(), blockOffset + 8 + bodyLength + 8, reason, packetsBefore);
    });
  });

  it('rejects a name resolution record running past its block, at the record, as tshark does', async () => {
    const record = Buffer.concat([u16(1, 'le'), u16(100, 'le'), Buffer.of(10, 0, 0, 1), Buffer.from('abcd')]);
    await expectDamage(after(1, pcapngBlock('le', 4, record)), offsetAfter(1) + 8, 'name resolution record of length 100 runs past the end of its block (8 bytes left)', 1);
  });

  it('reads the most interfaces a file may declare, and rejects the next IDB where it starts, over all sections', async () => {
    const oneIdb = idb('le', { linkType: 1 });
    const full = Buffer.concat([shb('le'), ...Array<Buffer>(MAX_INTERFACES).fill(oneIdb)]);
    const summary = await readCapture(temp.write(`interfaces-${fileNumber++}`, full), new RecordingSink());
    expect(summary.interfaces).toHaveLength(MAX_INTERFACES);
    // The next IDB is refused even in a new section: the summary holds every section's interfaces.
    await expectDamage(Buffer.concat([full, shb('le'), oneIdb]), full.length + shb('le').length, `interface description block beyond the limit of ${MAX_INTERFACES} interfaces per file`);
  });

  it('keeps at most the first bytes of an interface name', async () => {
    const long = 'x'.repeat(MAX_INTERFACE_NAME_BYTES + 100);
    const bytes = Buffer.concat([shb('le'), idb('le', { linkType: 1, options: [ifName(long)] })]);
    const summary = await readCapture(temp.write(`long-name-${fileNumber++}`, bytes), new RecordingSink());
    expect(summary.interfaces[0].name).toBe(long.slice(0, MAX_INTERFACE_NAME_BYTES));
  });
});
