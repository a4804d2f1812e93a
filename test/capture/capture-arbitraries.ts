import fc from 'fast-check';
import { MAX_INTERFACES } from '../../src/capture/pcapng-reader.js';
import { ethernet, ETHERTYPE, ipv4, TCP_FLAGS, tcp, u16, type Endian } from '../../src/frame-builder.js';
import { customBlock, epb, idb, ifName, ifTsoffset, ifTsresol, isb, ISB, nrb, pb, pcapHeader, pcapFile, pcapngBlock, pcapRecord, shb, spb, type PcapngOption, type PcapSpec } from '../support/capture-writer.js';
import { frameArb, LINK_TYPES } from '../decode/frame-arbitraries.js';

/** What a reader must deliver for one packet. */
export interface ExpectedPacket {
  data: Buffer;
  originalLength: number;
  linkType: number;
  seconds: number;
  nanos: number;
}

/**
 * A valid capture and its layout: every unit (pcap global header or record, pcapng block) in
 * file order with its length and the packet it delivers, so tests can say what a reader must
 * produce for the whole file or for any prefix of it.
 */
export interface BuiltCapture {
  bytes: Buffer;
  units: { length: number; packet?: ExpectedPacket }[];
}

export function expectedPackets(capture: BuiltCapture): ExpectedPacket[] {
  return capture.units.flatMap((u) => (u.packet ? [u.packet] : []));
}

const endian = fc.constantFrom<Endian>('le', 'be');
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Cuts a frame to a random captured length now and then, as a snaplen would. */
const cut = fc.option(fc.nat(), { nil: undefined });
const cutFrame = (frame: Buffer, at: number | undefined): Buffer => (at === undefined ? frame : frame.subarray(0, at % (frame.length + 1)));

export const pcapCaptureArb: fc.Arbitrary<BuiltCapture> = fc.constantFrom(...LINK_TYPES).chain((linkType) =>
  fc
    .record({
      endian,
      kind: fc.constantFrom('micro', 'nano', 'modified'),
      snapLength: fc.oneof(fc.constant(65535), u32),
      records: fc.array(fc.record({ frame: frameArb(linkType), seconds: u32, fraction: fc.integer({ min: 0, max: 999_999 }), cut }), { maxLength: 6 }),
    })
    .map(({ endian, kind, snapLength, records }) => {
      const spec: PcapSpec = { endian, linkType, snapLength, nanos: kind === 'nano', modified: kind === 'modified' };
      const header = pcapHeader(spec);
      const units: BuiltCapture['units'] = [{ length: header.length }];
      const parts = [header];
      for (const r of records) {
        const data = cutFrame(r.frame, r.cut);
        const bytes = pcapRecord(spec, { seconds: r.seconds, fraction: r.fraction, data, originalLength: r.frame.length });
        parts.push(bytes);
        const nanos = kind === 'nano' ? r.fraction : r.fraction * 1000;
        units.push({ length: bytes.length, packet: { data, originalLength: r.frame.length, linkType, seconds: r.seconds, nanos } });
      }
      return { bytes: Buffer.concat(parts), units };
    }),
);

interface InterfaceSpec {
  linkType: number;
  snapLength: number;
  tsresol: number | undefined;
  tsoffset: number | undefined;
}

const interfaceArb: fc.Arbitrary<InterfaceSpec> = fc.record({
  linkType: fc.constantFrom(...LINK_TYPES),
  snapLength: fc.constantFrom(0, 64, 65535),
  tsresol: fc.constantFrom(undefined, 3, 6, 9, 0x80 | 10, 0x80 | 32),
  tsoffset: fc.option(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), { nil: undefined }),
});

/** One block after a section's IDBs; packet blocks carry their frame's interface index. */
type BlockSpec =
  | { kind: 'epb' | 'pb'; iface: number; frame: Buffer; cut: number | undefined; timestamp: bigint }
  | { kind: 'spb'; frame: Buffer }
  | { kind: 'nrb' | 'custom' | 'unknown'; data: Buffer }
  | { kind: 'isb'; iface: number; counter: bigint };

function blockArb(interfaces: InterfaceSpec[]): fc.Arbitrary<BlockSpec> {
  const iface = fc.integer({ min: 0, max: interfaces.length - 1 });
  const timestamp = fc.bigInt({ min: 0n, max: 2n ** 62n });
  const packet = (kind: 'epb' | 'pb') =>
    iface.chain((i) => fc.record({ kind: fc.constant(kind), iface: fc.constant(i), frame: frameArb(interfaces[i].linkType), cut, timestamp }));
  const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
  return fc.oneof(
    { weight: 6, arbitrary: packet('epb') },
    { weight: 1, arbitrary: packet('pb') },
    { weight: 2, arbitrary: frameArb(interfaces[0].linkType).map((frame) => ({ kind: 'spb' as const, frame })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('nrb' as const, 'custom' as const, 'unknown' as const), data: bytes }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('isb' as const), iface, counter: fc.bigInt({ min: 0n, max: 2n ** 50n }) }) },
  );
}

const sectionArb = fc
  .record({ endian, interfaces: fc.array(interfaceArb, { minLength: 1, maxLength: 3 }) })
  .chain((section) => fc.record({ endian: fc.constant(section.endian), interfaces: fc.constant(section.interfaces), blocks: fc.array(blockArb(section.interfaces), { maxLength: 6 }) }));

function unitsPerSecond(tsresol: number | undefined): bigint {
  const value = tsresol ?? 6;
  return value & 0x80 ? 2n ** BigInt(value & 0x7f) : 10n ** BigInt(value);
}

export const pcapngCaptureArb: fc.Arbitrary<BuiltCapture> = fc.array(sectionArb, { minLength: 1, maxLength: 3 }).map((sections) => {
  const units: BuiltCapture['units'] = [];
  const parts: Buffer[] = [];
  const add = (bytes: Buffer, packet?: ExpectedPacket): void => {
    parts.push(bytes);
    units.push({ length: bytes.length, packet });
  };
  // SPBs have no timestamp: readers give them the previous packet's.
  let last = { seconds: 0, nanos: 0 };
  for (const { endian: e, interfaces, blocks } of sections) {
    add(shb(e));
    for (const i of interfaces) {
      const options: PcapngOption[] = [];
      if (i.tsresol !== undefined) options.push(ifTsresol(i.tsresol));
      if (i.tsoffset !== undefined) options.push(ifTsoffset(e, BigInt(i.tsoffset)));
      add(idb(e, { linkType: i.linkType, snapLength: i.snapLength, options }));
    }
    for (const b of blocks) {
      switch (b.kind) {
        case 'epb':
        case 'pb': {
          const i = interfaces[b.iface];
          const data = cutFrame(b.frame, b.cut);
          const units = unitsPerSecond(i.tsresol);
          last = { seconds: Number(b.timestamp / units) + (i.tsoffset ?? 0), nanos: Number(((b.timestamp % units) * 1_000_000_000n) / units) };
          const spec = { interfaceId: b.iface, timestamp: b.timestamp, data, originalLength: b.frame.length };
          add(b.kind === 'epb' ? epb(e, spec) : pb(e, spec), { data, originalLength: b.frame.length, linkType: i.linkType, ...last });
          break;
        }
        case 'spb': {
          const snap = interfaces[0].snapLength;
          const data = snap > 0 ? b.frame.subarray(0, snap) : b.frame;
          add(spb(e, { data: b.frame }), { data, originalLength: b.frame.length, linkType: interfaces[0].linkType, ...last });
          break;
        }
        case 'nrb':
          add(nrb(e, [{ ipv4: `10.0.0.${b.data.length}`, names: [`host-${b.data.toString('hex')}`] }]));
          break;
        case 'isb':
          add(isb(e, { interfaceId: b.iface, counters: [[ISB.IfDrop, b.counter], [ISB.OsDrop, b.counter + 1n]] }));
          break;
        case 'custom':
          add(customBlock(e, b.data));
          break;
        case 'unknown':
          add(pcapngBlock(e, 0x1234_0000 + b.data.length, b.data));
          break;
      }
    }
  }
  return { bytes: Buffer.concat(parts), units };
});

// ---------------------------------------------------------------------------------------------
// Hostile shapes (issue 13): valid framing around values that bounds and conversions get wrong.
// No expected packets: a reader must end in packets and counted outcomes, or one CaptureFormatError.

const SYN = ethernet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 });
/** Words where 32- and 64-bit arithmetic, Date and the timestamp converter's fast path change. */
const edgeWord = fc.oneof(fc.constantFrom(0, 1, 0x1fffbf, 0x1fffc0, 0x7ffffffc, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff), u32);
const edgeLength = fc.oneof(fc.constantFrom(0, 1, 3, 4, 0x7fff, 0xfffc, 0xffff), fc.integer({ min: 0, max: 0xffff }));
/** A count of repeated blocks: a few, or right around the interface limit. */
const manyCount = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: MAX_INTERFACES - 2, max: MAX_INTERFACES + 2 }));

/** An option list whose last option claims `claimed` bytes where `present` are. */
function overrunOptions(e: Endian, code: number, claimed: number, present: number): Buffer {
  return Buffer.concat([u16(code, e), u16(claimed, e), Buffer.alloc((present + 3) & ~3, 0x61)]);
}

function repeat(block: Buffer, count: number): Buffer {
  return Buffer.alloc(block.length * count).fill(block);
}

type HostilePart =
  | { kind: 'many'; of: 'idb' | 'section' | 'nrb' | 'isb'; count: number }
  | { kind: 'far-epb'; high: number; low: number; iface: number }
  | { kind: 'overrun'; block: 'shb' | 'idb' | 'epb' | 'isb' | 'nrb'; claimed: number; present: number }
  | { kind: 'lengths'; caplenCut: number; originalLength: number; nameLength: number };

const hostilePartArb: fc.Arbitrary<HostilePart> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('many' as const), of: fc.constantFrom('idb' as const, 'section' as const, 'nrb' as const, 'isb' as const), count: manyCount }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('far-epb' as const), high: edgeWord, low: edgeWord, iface: fc.integer({ min: 0, max: 2 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('overrun' as const), block: fc.constantFrom('shb' as const, 'idb' as const, 'epb' as const, 'isb' as const, 'nrb' as const), claimed: edgeLength, present: fc.integer({ min: 0, max: 12 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lengths' as const), caplenCut: fc.nat(), originalLength: edgeWord, nameLength: edgeLength }) },
);

/** The interfaces every hostile section declares: extreme resolutions and offsets. */
const hostileInterfacesArb = fc.array(
  fc.record({
    tsresol: fc.constantFrom(0, 6, 9, 19, 0x80, 0x80 | 32, 0x80 | 63),
    tsoffset: fc.oneof(fc.constant(undefined), fc.constantFrom(-(2n ** 63n), -(2n ** 40n), -1n, 2n ** 40n, 2n ** 63n - 1n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  }),
  { minLength: 3, maxLength: 3 },
);

/** A block of kind `block` whose last option (or NRB record) claims `claimed` bytes where `present` are. */
function overrunBlock(e: Endian, block: 'shb' | 'idb' | 'epb' | 'isb' | 'nrb', claimed: number, present: number): Buffer {
  const options = overrunOptions(e, 1, claimed, present);
  switch (block) {
    case 'shb':
      return pcapngBlock(e, 0x0a0d0d0a, Buffer.concat([shb(e).subarray(8, 24), options]));
    case 'idb':
      return pcapngBlock(e, 1, Buffer.concat([idb(e, { linkType: 1 }).subarray(8, 16), options]));
    case 'epb':
      return pcapngBlock(e, 6, Buffer.concat([epb(e, { data: SYN }).subarray(8, -4), options]));
    case 'isb':
      return pcapngBlock(e, 5, Buffer.concat([Buffer.alloc(12), options]));
    case 'nrb':
      return pcapngBlock(e, 4, options);
  }
}

export const hostilePcapngArb: fc.Arbitrary<Buffer> = fc
  .record({ endian, interfaces: hostileInterfacesArb, parts: fc.array(hostilePartArb, { minLength: 1, maxLength: 4 }) })
  .map(({ endian: e, interfaces, parts }) => {
    const head = [shb(e), ...interfaces.map((i) => idb(e, { linkType: 1, options: [ifTsresol(i.tsresol), ...(i.tsoffset === undefined ? [] : [ifTsoffset(e, i.tsoffset)])] }))];
    const body = parts.map((p): Buffer => {
      switch (p.kind) {
        case 'many': {
          const one = { idb: idb(e, { linkType: 1 }), section: Buffer.concat([shb(e), idb(e, { linkType: 1 })]), nrb: nrb(e, [{ ipv4: '10.0.0.1', names: ['a'] }]), isb: isb(e, { interfaceId: 0, counters: [[ISB.IfRecv, 2n ** 64n - 1n]] }) }[p.of];
          return repeat(one, p.count);
        }
        case 'far-epb':
          return epb(e, { interfaceId: p.iface, timestamp: (BigInt(p.high) << 32n) | BigInt(p.low), data: SYN });
        case 'overrun':
          return overrunBlock(e, p.block, p.claimed, p.present);
        case 'lengths': {
          const data = SYN.subarray(0, p.caplenCut % (SYN.length + 1));
          return Buffer.concat([
            epb(e, { data, originalLength: p.originalLength }),
            idb(e, { linkType: 1, options: [ifName('n'.repeat(p.nameLength))] }),
          ]);
        }
      }
    });
    return Buffer.concat([...head, ...body]);
  });

export const hostilePcapArb: fc.Arbitrary<Buffer> = fc
  .record({
    endian,
    major: fc.constantFrom(0, 1, 2, 3, 543, 0xffff),
    minor: fc.constantFrom(0, 2, 3, 4, 5, 0xffff),
    records: fc.array(fc.record({ seconds: edgeWord, fraction: edgeWord, caplenCut: fc.nat(), originalLength: edgeWord }), { minLength: 1, maxLength: 5 }),
  })
  .map(({ endian: e, major, minor, records }) => {
    const bytes = pcapFile(
      { endian: e, linkType: 1 },
      records.map((r) => ({ seconds: r.seconds, fraction: r.fraction, data: SYN.subarray(0, r.caplenCut % (SYN.length + 1)), originalLength: r.originalLength })),
    );
    u16(major, e).copy(bytes, 4);
    u16(minor, e).copy(bytes, 6);
    return bytes;
  });
