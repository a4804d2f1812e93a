/**
 * Builds network frames byte by byte: integers, addresses, TCP/UDP/ICMP, IPv4 and IPv6, the link
 * layers flowaudit reads and the framings inside them (VLAN, MPLS, PPP, PPPoE, LLC/SNAP, PBB,
 * NFLOG). The agent's warm-up builds its synthetic traffic with it, and the tests their frames:
 * one builder. It imports nothing from the decoder it feeds, so a decoder test states what is on
 * the wire independently of the code under test. Not for the per-packet path: every call allocates.
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

/** `body` padded with zeros to a multiple of 4 bytes. */
export function padTo4(body: Buffer): Buffer {
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
  const payload = spec.payload ?? Buffer.alloc(0);
  const segment = Buffer.alloc(20 + options.length + payload.length);
  const at = writeTcpHeader(segment, 0, spec.srcPort, spec.dstPort, spec.seq ?? 0, spec.ack ?? 0, spec.flags ?? 0, spec.dataOffset ?? 5 + options.length / 4);
  options.copy(segment, at);
  payload.copy(segment, at + options.length);
  return segment;
}

/**
 * Writes a TCP header without options at `target[at]` (window 65535; checksum 0: no decoder checks
 * it); returns where its options or payload start. Allocates nothing.
 * @param dataOffset the header length in 32-bit words, as on the wire
 */
export function writeTcpHeader(target: Buffer, at: number, srcPort: number, dstPort: number, seq: number, ack: number, flags: number, dataOffset = 5): number {
  target.writeUInt16BE(srcPort, at);
  target.writeUInt16BE(dstPort, at + 2);
  target.writeUInt32BE(seq >>> 0, at + 4);
  target.writeUInt32BE(ack >>> 0, at + 8);
  target[at + 12] = (dataOffset << 4) & 0xff;
  target[at + 13] = flags & 0xff;
  target.writeUInt16BE(65535, at + 14); // window
  target.writeUInt32BE(0, at + 16); // checksum, urgent pointer
  return at + 20;
}

export function udp(spec: { srcPort: number; dstPort: number; payload?: Buffer }): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  const datagram = Buffer.alloc(8 + payload.length);
  payload.copy(datagram, writeUdpHeader(datagram, 0, spec.srcPort, spec.dstPort, payload.length));
  return datagram;
}

/** Writes a UDP header (checksum 0) at `target[at]` for `payloadLength` bytes; returns where the payload starts. Allocates nothing. */
export function writeUdpHeader(target: Buffer, at: number, srcPort: number, dstPort: number, payloadLength: number): number {
  target.writeUInt16BE(srcPort, at);
  target.writeUInt16BE(dstPort, at + 2);
  target.writeUInt16BE(8 + payloadLength, at + 4);
  target.writeUInt16BE(0, at + 6);
  return at + 8;
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
  const packet = Buffer.alloc(headerLength + spec.payload.length);
  const src = ipv4Bytes(spec.src ?? '10.0.0.1').readUInt32BE(0);
  const dst = ipv4Bytes(spec.dst ?? '10.0.0.2').readUInt32BE(0);
  writeIpv4Header(packet, 0, src, dst, spec.protocol, spec.totalLength ?? headerLength + spec.payload.length, spec.id ?? 0, flags, spec.ihl ?? headerLength / 4, spec.version ?? 4);
  options.copy(packet, 20);
  setIpv4Checksum(packet, 0, headerLength);
  spec.payload.copy(packet, headerLength);
  return packet;
}

/**
 * Writes an IPv4 header without options at `target[at]` (TTL 64, checksum 0: setIpv4Checksum
 * fills it once the options are in); returns where its options or payload start. Allocates nothing.
 * @param src the address as a 32-bit number (198.18.0.1 is 0xc6120001)
 * @param fragmentWord the flags and fragment offset word (0x4000: don't fragment)
 * @param ihl the header length in 32-bit words, as on the wire
 */
export function writeIpv4Header(target: Buffer, at: number, src: number, dst: number, protocol: number, totalLength: number, id = 0, fragmentWord = 0, ihl = 5, version = 4): number {
  target[at] = ((version << 4) | ihl) & 0xff;
  target[at + 1] = 0;
  target.writeUInt16BE(totalLength & 0xffff, at + 2);
  target.writeUInt16BE(id & 0xffff, at + 4);
  target.writeUInt16BE(fragmentWord & 0xffff, at + 6);
  target[at + 8] = 64;
  target[at + 9] = protocol & 0xff;
  target.writeUInt16BE(0, at + 10);
  target.writeUInt32BE(src >>> 0, at + 12);
  target.writeUInt32BE(dst >>> 0, at + 16);
  return at + 20;
}

/** Writes the checksum of the IPv4 header of `headerLength` bytes at `target[at]`. */
export function setIpv4Checksum(target: Buffer, at: number, headerLength: number): void {
  target.writeUInt16BE(0, at + 10);
  let sum = 0;
  for (let i = at; i + 1 < at + headerLength; i += 2) sum += target.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  target.writeUInt16BE(~sum & 0xffff, at + 10);
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

/** The MAC addresses of every frame built here: destination 02:00:00:00:00:02, source 02:00:00:00:00:01. */
const MAC_ADDRESSES = Buffer.from('020000000002020000000001', 'hex');

export function ethernet(network: Buffer, spec: EthernetSpec): Buffer {
  const tags = (spec.tags ?? []).map((t) => Buffer.concat([u16(t.tpid), u16(t.vid & 0x0fff)]));
  const frame = Buffer.concat([MAC_ADDRESSES, ...tags, u16(spec.etherType), network]);
  const padTo = spec.padTo ?? 0;
  return frame.length >= padTo ? frame : Buffer.concat([frame, Buffer.alloc(padTo - frame.length, 0xee)]);
}

/** Writes an untagged Ethernet header at `target[at]`; returns where its payload starts. Allocates nothing. */
export function writeEthernetHeader(target: Buffer, at: number, etherType: number): number {
  MAC_ADDRESSES.copy(target, at);
  target.writeUInt16BE(etherType, at + 12);
  return at + 14;
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
