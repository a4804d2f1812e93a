/**
 * Overlay tunnel headers around real frames and packets, byte for byte as their specifications
 * lay them out: VXLAN (RFC 7348), Geneve (RFC 8926), GRE (RFC 2784/2890), ERSPAN II and III,
 * GTP-U (TS 29.281). The outer packets are plain IPv4 between two "nodes".
 */
import { ETHERTYPE, ethernet, ipv4, ipv6, u16, u32, udp } from '../../src/frame-builder.js';

export const NODE_A = '192.168.50.1';
export const NODE_B = '192.168.50.2';
export const NODE_A_V6 = 'fd00:50::1';
export const NODE_B_V6 = 'fd00:50::2';

export const ETHERTYPE_TEB = 0x6558;
export const ETHERTYPE_ERSPAN_II = 0x88be;
export const ETHERTYPE_ERSPAN_III = 0x22eb;

const u24 = (v: number): Buffer => Buffer.of((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);

export function vxlanHeader(vni: number): Buffer {
  return Buffer.concat([Buffer.of(0x08, 0, 0, 0), u24(vni), Buffer.of(0)]);
}

/** Geneve with `options` (a multiple of 4 bytes) before the payload of `protocolType`. */
export function geneveHeader(vni: number, protocolType: number, options: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.of(options.length / 4, 0), u16(protocolType), u24(vni), Buffer.of(0), options]);
}

/** A Geneve option TLV: class, type, length in 4-byte units, data. */
export function geneveOption(data: Buffer): Buffer {
  return Buffer.concat([u16(0x0102), Buffer.of(0x80, data.length / 4), data]);
}

export interface GreSpec {
  protocolType: number;
  checksum?: boolean;
  key?: number;
  sequence?: number;
}

export function greHeader(spec: GreSpec): Buffer {
  const flags = (spec.checksum ? 0x8000 : 0) | (spec.key !== undefined ? 0x2000 : 0) | (spec.sequence !== undefined ? 0x1000 : 0);
  return Buffer.concat([
    u16(flags),
    u16(spec.protocolType),
    spec.checksum ? Buffer.alloc(4) : Buffer.alloc(0),
    spec.key !== undefined ? u32(spec.key) : Buffer.alloc(0),
    spec.sequence !== undefined ? u32(spec.sequence) : Buffer.alloc(0),
  ]);
}

/** ERSPAN type II header (version 1): VLAN, CoS/encap/truncated, session, index. */
export function erspanIIHeader(session: number): Buffer {
  return Buffer.concat([u16(0x1000), u16(session & 0x3ff), u32(7)]);
}

/** ERSPAN type III header (version 2), optionally with its 8-byte platform-specific subheader. */
export function erspanIIIHeader(session: number, platform = false): Buffer {
  const flags = u32((3 << 16) | (platform ? 1 : 0));
  return Buffer.concat([u16(0x2000), u16(session & 0x3ff), u32(0x12345678), flags, platform ? Buffer.alloc(8, 0x11) : Buffer.alloc(0)]);
}

/** GTP-U G-PDU; with `extensions` (each a whole extension header, its next-type byte last) the E flag is set. */
export function gtpuHeader(teid: number, payloadLength: number, options: { sequence?: number; extensions?: Buffer[] } = {}): Buffer {
  const extensions = options.extensions ?? [];
  const hasOptional = options.sequence !== undefined || extensions.length > 0;
  const flags = 0x30 | (extensions.length > 0 ? 0x04 : 0) | (options.sequence !== undefined ? 0x02 : 0);
  const optional = hasOptional ? Buffer.concat([u16(options.sequence ?? 0), Buffer.of(0, extensions.length > 0 ? 0x85 : 0)]) : Buffer.alloc(0);
  const body = Buffer.concat([optional, ...extensions]);
  return Buffer.concat([Buffer.of(flags, 0xff), u16(body.length + payloadLength), u32(teid), body]);
}

/** A PDU session container extension header (4 bytes), the last in its chain. */
export const GTP_PDU_SESSION_CONTAINER = Buffer.of(1, 0x00, 0x09, 0x00);

/** An Ethernet frame of IPv4 UDP from node A to node B. */
export function udpBetweenNodes(dstPort: number, payload: Buffer, srcPort = 49152, reverse = false): Buffer {
  const [src, dst] = reverse ? [NODE_B, NODE_A] : [NODE_A, NODE_B];
  return ethernet(ipv4({ src, dst, protocol: 17, payload: udp({ srcPort, dstPort, payload }) }), { etherType: ETHERTYPE.Ipv4 });
}

/** An Ethernet frame of an IPv4 (or IPv6) packet of `protocol` from node A to node B. */
export function ipBetweenNodes(protocol: number, payload: Buffer, version: 4 | 6 = 4, reverse = false): Buffer {
  if (version === 6) {
    const [src, dst] = reverse ? [NODE_B_V6, NODE_A_V6] : [NODE_A_V6, NODE_B_V6];
    return ethernet(ipv6({ src, dst, protocol, payload }), { etherType: ETHERTYPE.Ipv6 });
  }
  const [src, dst] = reverse ? [NODE_B, NODE_A] : [NODE_A, NODE_B];
  return ethernet(ipv4({ src, dst, protocol, payload }), { etherType: ETHERTYPE.Ipv4 });
}
