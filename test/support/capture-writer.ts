/**
 * Builds capture files (classic pcap, pcapng) and the frames inside them, byte by byte, so the
 * reader and decoder tests state exactly what is on disk. Written independently of src/: nothing
 * here reuses the code under test.
 */

export type Endian = 'le' | 'be';

// ---------------------------------------------------------------------------------------------
// Integers

export function u8(value: number): Buffer {
  return Buffer.of(value & 0xff);
}

export function u16(value: number, endian: Endian = 'be'): Buffer {
  const b = Buffer.alloc(2);
  if (endian === 'le') b.writeUInt16LE(value);
  else b.writeUInt16BE(value);
  return b;
}

export function u32(value: number, endian: Endian = 'be'): Buffer {
  const b = Buffer.alloc(4);
  if (endian === 'le') b.writeUInt32LE(value >>> 0);
  else b.writeUInt32BE(value >>> 0);
  return b;
}

/** Two's complement for negative values, as pcapng's signed if_tsoffset needs. */
export function u64(value: bigint, endian: Endian = 'be'): Buffer {
  const b = Buffer.alloc(8);
  const unsigned = BigInt.asUintN(64, value);
  if (endian === 'le') b.writeBigUInt64LE(unsigned);
  else b.writeBigUInt64BE(unsigned);
  return b;
}

function padTo4(body: Buffer): Buffer {
  const padding = (4 - (body.length % 4)) % 4;
  return padding === 0 ? body : Buffer.concat([body, Buffer.alloc(padding)]);
}

// ---------------------------------------------------------------------------------------------
// Addresses

export function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** Accepts full and "::"-compressed forms (no embedded dotted quad). */
export function ipv6Bytes(text: string): Buffer {
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const head = groups(left);
  const tail = groups(right);
  const all = right === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return Buffer.concat(all.map((g) => u16(g)));
}

// ---------------------------------------------------------------------------------------------
// Transport headers

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: number;
  /** TCP options, padded to 4 bytes; they lengthen the header. */
  options?: Buffer;
  /** Overrides the data offset (in 32-bit words) computed from the options. */
  dataOffset?: number;
  payload?: Buffer;
}

export function tcp(spec: TcpSpec): Buffer {
  const options = padTo4(spec.options ?? Buffer.alloc(0));
  const dataOffset = spec.dataOffset ?? 5 + options.length / 4;
  return Buffer.concat([
    u16(spec.srcPort),
    u16(spec.dstPort),
    u32(spec.seq ?? 0),
    u32(spec.ack ?? 0),
    Buffer.of(dataOffset << 4, spec.flags ?? 0),
    u16(65535), // window
    u16(0), // checksum: no decoder checks it
    u16(0), // urgent pointer
    options,
    spec.payload ?? Buffer.alloc(0),
  ]);
}

export function udp(spec: { srcPort: number; dstPort: number; payload?: Buffer }): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  return Buffer.concat([u16(spec.srcPort), u16(spec.dstPort), u16(8 + payload.length), u16(0), payload]);
}

/** ICMP and ICMPv6 share this shape: type, code, checksum, then the rest. */
export function icmp(spec: { type: number; code?: number; rest?: Buffer }): Buffer {
  return Buffer.concat([Buffer.of(spec.type, spec.code ?? 0), u16(0), spec.rest ?? Buffer.alloc(4)]);
}

// ---------------------------------------------------------------------------------------------
// IP

export interface Ipv4Spec {
  src?: string;
  dst?: string;
  protocol: number;
  payload: Buffer;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units, as on the wire. */
  fragmentOffset?: number;
  /** IP options, padded to 4 bytes; they lengthen the header. */
  options?: Buffer;
  /** Overrides the IHL nibble (in 32-bit words). */
  ihl?: number;
  /** Overrides the total length computed from header and payload. */
  totalLength?: number;
  version?: number;
}

export function ipv4(spec: Ipv4Spec): Buffer {
  const options = padTo4(spec.options ?? Buffer.alloc(0));
  const headerLength = 20 + options.length;
  const flags = (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0) | ((spec.fragmentOffset ?? 0) & 0x1fff);
  const header = Buffer.concat([
    Buffer.of(((spec.version ?? 4) << 4) | (spec.ihl ?? headerLength / 4), 0),
    u16(spec.totalLength ?? headerLength + spec.payload.length),
    u16(spec.id ?? 0),
    u16(flags),
    Buffer.of(64, spec.protocol),
    u16(0),
    ipv4Bytes(spec.src ?? '10.0.0.1'),
    ipv4Bytes(spec.dst ?? '10.0.0.2'),
    options,
  ]);
  header.writeUInt16BE(ipv4Checksum(header), 10);
  return Buffer.concat([header, spec.payload]);
}

function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export const IPV6_EXT = { HopByHop: 0, Routing: 43, Fragment: 44, Auth: 51, NoNext: 59, DestOpts: 60 } as const;

/** One IPv6 extension header; its next-header byte is filled in by `ipv6`. */
export type Ipv6Extension =
  | { type: 0 | 43 | 60; /** Extra 8-byte units past the first 8 (the Hdr Ext Len byte). */ units?: number }
  | { type: 44; offset: number; more: boolean; id: number }
  | { type: 51; /** Hdr Ext Len: header length in 4-byte units, minus 2. */ payloadLen?: number };

export interface Ipv6Spec {
  src?: string;
  dst?: string;
  protocol: number;
  payload: Buffer;
  extensions?: Ipv6Extension[];
  /** Overrides the payload length field. */
  payloadLength?: number;
}

export function ipv6(spec: Ipv6Spec): Buffer {
  const extensions = spec.extensions ?? [];
  const extBytes = extensions.map((ext, i) => ipv6Extension(ext, i + 1 < extensions.length ? extensions[i + 1].type : spec.protocol));
  const body = Buffer.concat([...extBytes, spec.payload]);
  return Buffer.concat([
    u32(0x60000000),
    u16(spec.payloadLength ?? body.length),
    Buffer.of(extensions.length > 0 ? extensions[0].type : spec.protocol, 64),
    ipv6Bytes(spec.src ?? '2001:db8::1'),
    ipv6Bytes(spec.dst ?? '2001:db8::2'),
    body,
  ]);
}

function ipv6Extension(ext: Ipv6Extension, next: number): Buffer {
  switch (ext.type) {
    case 44:
      return Buffer.concat([Buffer.of(next, 0), u16((ext.offset << 3) | (ext.more ? 1 : 0)), u32(ext.id)]);
    case 51: {
      const payloadLen = ext.payloadLen ?? 4; // 24 bytes: SPI, sequence and a 96-bit ICV
      const header = Buffer.alloc((payloadLen + 2) * 4);
      header[0] = next;
      header[1] = payloadLen;
      return header;
    }
    default: {
      const units = ext.units ?? 0;
      const header = Buffer.alloc((units + 1) * 8);
      header[0] = next;
      header[1] = units;
      header[2] = 1; // a PadN option filling the rest: valid hop-by-hop/dest-opts content
      header[3] = header.length - 4;
      return header;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Link layers

export const LINKTYPE = {
  Null: 0,
  Ethernet: 1,
  RawOpenBsd: 12,
  RawBsdi: 14,
  Raw: 101,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
  Ppp: 9,
  PppHdlc: 50,
  PppEther: 51,
  CiscoHdlc: 104,
  Nflog: 239,
} as const;

export const ETHERTYPE = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Vlan: 0x8100,
  Ipv6: 0x86dd,
  QinQ: 0x88a8,
  QinQOld: 0x9100,
  Mpls: 0x8847,
  MplsMulticast: 0x8848,
  PppoeDiscovery: 0x8863,
  PppoeSession: 0x8864,
  PbbItag: 0x88e7,
  FabricPath: 0x8903,
  VnTag: 0x8926,
} as const;

export interface EthernetSpec {
  etherType: number;
  /** Outermost first: each tag is its TPID and VLAN id. */
  tags?: { tpid: number; vid: number }[];
  /** Pads the frame to this many bytes (60 is the Ethernet minimum without FCS). */
  padTo?: number;
}

export function ethernet(network: Buffer, spec: EthernetSpec): Buffer {
  const tags = (spec.tags ?? []).map((t) => Buffer.concat([u16(t.tpid), u16(t.vid & 0x0fff)]));
  const frame = Buffer.concat([
    Buffer.from('020000000002', 'hex'),
    Buffer.from('020000000001', 'hex'),
    ...tags,
    u16(spec.etherType),
    network,
  ]);
  const padTo = spec.padTo ?? 0;
  return frame.length >= padTo ? frame : Buffer.concat([frame, Buffer.alloc(padTo - frame.length, 0xee)]);
}

/** Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
export function sll(network: Buffer, protocol: number): Buffer {
  return Buffer.concat([u16(0), u16(1), u16(6), Buffer.from('0200000000010000', 'hex'), u16(protocol), network]);
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
export function sll2(network: Buffer, protocol: number): Buffer {
  return Buffer.concat([u16(protocol), u16(0), u32(3), u16(1), Buffer.of(0, 6), Buffer.from('0200000000010000', 'hex'), network]);
}

/** BSD loopback: the address family as a 32-bit word in the capturing host's byte order. */
export function nullLink(network: Buffer, family: number, endian: Endian): Buffer {
  return Buffer.concat([u32(family, endian), network]);
}

// ---------------------------------------------------------------------------------------------
// Framings inside a link layer: each returns the bytes that follow an EtherType (or start a frame)

/** An MPLS label stack, outermost first, the last label with its bottom-of-stack bit; TTL 64. */
export function mplsStack(labels: readonly number[], payload: Buffer): Buffer {
  const words = labels.map((label, i) => u32(((label & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64));
  return Buffer.concat([...words, payload]);
}

/** PPP protocol numbers. */
export const PPP_PROTOCOL = { Ipv4: 0x0021, Ipv6: 0x0057, Mpls: 0x0281, Lcp: 0xc021, Ipcp: 0x8021 } as const;

export interface PppSpec {
  protocol: number;
  /** The HDLC address and control bytes 0xff 0x03 first (RFC 1662). */
  hdlc?: boolean;
  /** Protocol-field compression: one byte when the protocol fits (RFC 1661). */
  compressed?: boolean;
}

export function ppp(payload: Buffer, spec: PppSpec): Buffer {
  const protocol = spec.compressed && spec.protocol < 0x100 ? u8(spec.protocol) : u16(spec.protocol);
  return Buffer.concat([spec.hdlc ? Buffer.of(0xff, 0x03) : Buffer.alloc(0), protocol, payload]);
}

/** A PPPoE header (version 1, type 1) around `body`: code 0 with a session for sessions, else a discovery code. */
export function pppoe(body: Buffer, spec: { code?: number; session?: number } = {}): Buffer {
  return Buffer.concat([Buffer.of(0x11, spec.code ?? 0), u16(spec.session ?? 0x1234), u16(body.length), body]);
}

/** LLC AA-AA-03 and SNAP with OUI 00-00-00 and an EtherType (RFC 1042), the length-field frames' way to carry IP. */
export function llcSnap(etherType: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0xaa, 0xaa, 0x03, 0, 0, 0), u16(etherType), payload]);
}

/** An 802.1ah I-TAG (I-SID), then the customer frame from its destination address on. */
export function pbbItag(isid: number, customerFrame: Buffer): Buffer {
  return Buffer.concat([u32(isid & 0xffffff), customerFrame]);
}

/** NFULA_ TLV types (linux/netfilter/nfnetlink_log.h). */
export const NFULA = { PacketHdr: 1, Prefix: 10, Payload: 9, Uid: 11 } as const;

/** One NFLOG TLV: length (4 + value) and type in `endian`, the value padded to 4 bytes. */
export function nflogTlv(type: number, value: Buffer, endian: Endian): Buffer {
  return padTo4(Buffer.concat([u16(4 + value.length, endian), u16(type, endian), value]));
}

/** An NFLOG record as `tcpdump -i nflog:N` writes it: family, version 0, resource id, the packet header TLV, a prefix, the payload. */
export function nflog(network: Buffer, spec: { family: number; endian: Endian; tlvs?: Buffer[] }): Buffer {
  const hwProtocol = spec.family === 10 ? 0x86dd : 0x0800;
  const tlvs = spec.tlvs ?? [
    nflogTlv(NFULA.PacketHdr, Buffer.concat([u16(hwProtocol), Buffer.of(3, 0)]), spec.endian),
    nflogTlv(NFULA.Prefix, Buffer.from('fa\0'), spec.endian),
    nflogTlv(NFULA.Payload, network, spec.endian),
  ];
  return Buffer.concat([Buffer.of(spec.family, 0), u16(5), ...tlvs]);
}

// ---------------------------------------------------------------------------------------------
// Classic pcap

export const PCAP_HEADER_LENGTH = 24;

export interface PcapSpec {
  endian: Endian;
  nanos?: boolean;
  /** Kuznetzov's modified format: 24-byte record headers. */
  modified?: boolean;
  snapLength?: number;
  linkType: number;
}

export interface PcapRecord {
  seconds: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  fraction: number;
  data: Buffer;
  /** Length on the wire; defaults to the data length. */
  originalLength?: number;
}

export function pcapHeader(spec: PcapSpec): Buffer {
  const magic = spec.modified ? 0xa1b2cd34 : spec.nanos ? 0xa1b23c4d : 0xa1b2c3d4;
  const e = spec.endian;
  return Buffer.concat([u32(magic, e), u16(2, e), u16(4, e), u32(0, e), u32(0, e), u32(spec.snapLength ?? 65535, e), u32(spec.linkType, e)]);
}

export function pcapRecord(spec: PcapSpec, record: PcapRecord): Buffer {
  const e = spec.endian;
  const header = [u32(record.seconds, e), u32(record.fraction, e), u32(record.data.length, e), u32(record.originalLength ?? record.data.length, e)];
  // The modified format adds ifindex (4), protocol (2), packet type (1) and padding (1).
  if (spec.modified) header.push(u32(2, e), u16(0x0800, e), Buffer.of(0, 0));
  return Buffer.concat([...header, record.data]);
}

export function pcapFile(spec: PcapSpec, records: PcapRecord[]): Buffer {
  return Buffer.concat([pcapHeader(spec), ...records.map((r) => pcapRecord(spec, r))]);
}

// ---------------------------------------------------------------------------------------------
// pcapng

export const BLOCK = { SHB: 0x0a0d0d0a, IDB: 1, PB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0a, Custom: 0x00000bad, CustomNoCopy: 0x40000bad } as const;

export interface PcapngOption {
  code: number;
  value: Buffer;
}

/** An options list ending in opt_endofopt; empty input gives no bytes at all. */
export function pcapngOptions(endian: Endian, options: PcapngOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts = options.map((o) => Buffer.concat([u16(o.code, endian), u16(o.value.length, endian), padTo4(o.value)]));
  return Buffer.concat([...parts, u32(0, endian)]);
}

/** A block: type, total length, the body padded to 4, the total length again. */
export function pcapngBlock(endian: Endian, type: number, body: Buffer, trailingLength?: number): Buffer {
  const padded = padTo4(body);
  const length = 12 + padded.length;
  return Buffer.concat([u32(type, endian), u32(length, endian), padded, u32(trailingLength ?? length, endian)]);
}

export function shb(endian: Endian, options: PcapngOption[] = []): Buffer {
  const body = Buffer.concat([u32(0x1a2b3c4d, endian), u16(1, endian), u16(0, endian), u64(-1n, endian), pcapngOptions(endian, options)]);
  return pcapngBlock(endian, BLOCK.SHB, body);
}

export function idb(endian: Endian, spec: { linkType: number; snapLength?: number; options?: PcapngOption[] }): Buffer {
  const body = Buffer.concat([u16(spec.linkType, endian), u16(0, endian), u32(spec.snapLength ?? 0, endian), pcapngOptions(endian, spec.options ?? [])]);
  return pcapngBlock(endian, BLOCK.IDB, body);
}

export const ifName = (name: string): PcapngOption => ({ code: 2, value: Buffer.from(name) });
/** if_tsresol: 10^-v, or 2^-(v & 0x7f) with the high bit set. */
export const ifTsresol = (value: number): PcapngOption => ({ code: 9, value: Buffer.of(value) });
export const ifTsoffset = (endian: Endian, seconds: bigint): PcapngOption => ({ code: 14, value: u64(seconds, endian) });
export const comment = (text: string): PcapngOption => ({ code: 1, value: Buffer.from(text) });

export interface PacketSpec {
  interfaceId?: number;
  /** In the interface's if_tsresol units. */
  timestamp?: bigint;
  data: Buffer;
  originalLength?: number;
  options?: PcapngOption[];
}

function timestampWords(endian: Endian, timestamp: bigint): Buffer {
  return Buffer.concat([u32(Number(timestamp >> 32n), endian), u32(Number(timestamp & 0xffffffffn), endian)]);
}

export function epb(endian: Endian, spec: PacketSpec): Buffer {
  const body = Buffer.concat([
    u32(spec.interfaceId ?? 0, endian),
    timestampWords(endian, spec.timestamp ?? 0n),
    u32(spec.data.length, endian),
    u32(spec.originalLength ?? spec.data.length, endian),
    padTo4(spec.data),
    pcapngOptions(endian, spec.options ?? []),
  ]);
  return pcapngBlock(endian, BLOCK.EPB, body);
}

/** The obsolete Packet Block: a 16-bit interface id and a 16-bit drops count. */
export function pb(endian: Endian, spec: PacketSpec & { drops?: number }): Buffer {
  const body = Buffer.concat([
    u16(spec.interfaceId ?? 0, endian),
    u16(spec.drops ?? 0, endian),
    timestampWords(endian, spec.timestamp ?? 0n),
    u32(spec.data.length, endian),
    u32(spec.originalLength ?? spec.data.length, endian),
    padTo4(spec.data),
  ]);
  return pcapngBlock(endian, BLOCK.PB, body);
}

/** The Simple Packet Block: original length and data only (interface 0, no timestamp). */
export function spb(endian: Endian, spec: { data: Buffer; originalLength?: number }): Buffer {
  return pcapngBlock(endian, BLOCK.SPB, Buffer.concat([u32(spec.originalLength ?? spec.data.length, endian), padTo4(spec.data)]));
}

export type NameRecord = { ipv4: string; names: string[] } | { ipv6: string; names: string[] };

export function nrb(endian: Endian, records: NameRecord[]): Buffer {
  const parts = records.map((r) => {
    const [type, address] = 'ipv4' in r ? [1, ipv4Bytes(r.ipv4)] : [2, ipv6Bytes(r.ipv6)];
    const value = Buffer.concat([address, ...r.names.map((n) => Buffer.from(`${n}\0`))]);
    return Buffer.concat([u16(type, endian), u16(value.length, endian), padTo4(value)]);
  });
  return pcapngBlock(endian, BLOCK.NRB, Buffer.concat([...parts, u32(0, endian)]));
}

/** ISB counter option codes. */
export const ISB = { StartTime: 2, EndTime: 3, IfRecv: 4, IfDrop: 5, FilterAccept: 6, OsDrop: 7, UsrDeliv: 8 } as const;

export function isb(endian: Endian, spec: { interfaceId: number; timestamp?: bigint; counters: [code: number, value: bigint][] }): Buffer {
  const options = spec.counters.map(([code, value]) => ({ code, value: u64(value, endian) }));
  const body = Buffer.concat([u32(spec.interfaceId, endian), timestampWords(endian, spec.timestamp ?? 0n), pcapngOptions(endian, options)]);
  return pcapngBlock(endian, BLOCK.ISB, body);
}

/** A custom block: Private Enterprise Number, then opaque data. */
export function customBlock(endian: Endian, data: Buffer, copyable = true): Buffer {
  return pcapngBlock(endian, copyable ? BLOCK.Custom : BLOCK.CustomNoCopy, Buffer.concat([u32(32473, endian), data]));
}
