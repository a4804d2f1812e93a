import fc from 'fast-check';
import {
  customBlock,
  epb,
  idb,
  ifTsoffset,
  ifTsresol,
  isb,
  ISB,
  nrb,
  pb,
  pcapHeader,
  pcapngBlock,
  pcapRecord,
  shb,
  spb,
  type Endian,
  type PcapngOption,
  type PcapSpec,
} from '../support/capture-writer.js';
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
