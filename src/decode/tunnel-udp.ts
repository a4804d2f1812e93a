import { DecodeReason } from './decode-reason.js';
import { ETHERTYPE_FROM_VERSION, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './link-layer.js';
import { INNER_ETHERNET, NOT_A_TUNNEL, TunnelType, type TunnelHeader } from './tunnel-header.js';

/**
 * Tunnel headers carried over UDP, found by destination port (tunnel-ports.ts): VXLAN (RFC 7348),
 * Geneve (RFC 8926) and GTP-U (3GPP TS 29.281). Each parser reads `data[at .. end)`, the UDP
 * payload as captured, and returns DecodeReason.Ok with `out` filled, NOT_A_TUNNEL when the bytes
 * are not that tunnel (other traffic on its port), or why the header cannot be read.
 */

const TRANSPARENT_ETHERNET_BRIDGING = 0x6558;
const VXLAN_FLAG_VNI = 0x08;
const GTP_G_PDU = 0xff;
const GTP_OPTIONAL_FIELDS = 0x07;
const GTP_EXTENSION = 0x04;
/** Bounds the GTP-U extension header walk on hostile input. */
const MAX_GTP_EXTENSIONS = 16;

export function parseVxlan(data: Buffer, at: number, end: number, out: TunnelHeader): number {
  if (end - at < 8) return DecodeReason.TruncatedTunnelHeader;
  if ((data[at] & VXLAN_FLAG_VNI) === 0) return NOT_A_TUNNEL;
  out.set(TunnelType.Vxlan, vni(data, at + 4), 1, at + 8, INNER_ETHERNET);
  return DecodeReason.Ok;
}

/** Geneve: variable-length options (their length is in the first byte) are stepped over. */
export function parseGeneve(data: Buffer, at: number, end: number, out: TunnelHeader): number {
  if (end - at < 8) return DecodeReason.TruncatedTunnelHeader;
  if (data[at] >> 6 !== 0) return NOT_A_TUNNEL;
  const headerLength = 8 + ((data[at] & 0x3f) << 2);
  if (end - at < headerLength) return DecodeReason.TruncatedTunnelHeader;
  const inner = innerEtherType((data[at + 2] << 8) | data[at + 3]);
  if (inner === 0) return DecodeReason.UnsupportedTunnelPayload;
  out.set(TunnelType.Geneve, vni(data, at + 4), 1, at + headerLength, inner);
  return DecodeReason.Ok;
}

/**
 * GTP-U version 1: only a G-PDU carries a user packet (echo and error indications do not, and
 * stay plain UDP). The optional sequence, N-PDU and extension fields and the extension header
 * chain (lengths in 4-byte units) are stepped over; the user packet is IPv4 or IPv6.
 */
export function parseGtpU(data: Buffer, at: number, end: number, out: TunnelHeader): number {
  if (end - at < 8) return DecodeReason.TruncatedTunnelHeader;
  const flags = data[at];
  // Version 1 and protocol type GTP (not GTP').
  if (flags >> 4 !== 0x3 || data[at + 1] !== GTP_G_PDU) return NOT_A_TUNNEL;
  const teid = (data[at + 4] << 24) | (data[at + 5] << 16) | (data[at + 6] << 8) | data[at + 7];
  let pos = at + 8;
  if (flags & GTP_OPTIONAL_FIELDS) {
    if (end - pos < 4) return DecodeReason.TruncatedTunnelHeader;
    let next = flags & GTP_EXTENSION ? data[pos + 3] : 0;
    pos += 4;
    for (let n = 0; next !== 0; n++) {
      if (n >= MAX_GTP_EXTENSIONS) return DecodeReason.UnsupportedTunnelPayload;
      if (end - pos < 4) return DecodeReason.TruncatedTunnelHeader;
      const length = data[pos] << 2;
      if (length === 0) return DecodeReason.UnsupportedTunnelPayload;
      if (end - pos < length) return DecodeReason.TruncatedTunnelHeader;
      next = data[pos + length - 1];
      pos += length;
    }
  }
  out.set(TunnelType.GtpU, teid, 1, pos, ETHERTYPE_FROM_VERSION);
  return DecodeReason.Ok;
}

/** What a protocol type field (an EtherType) carries, for the decoder: 0 when it is nothing it reads. */
export function innerEtherType(protocolType: number): number {
  switch (protocolType) {
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6:
      return protocolType;
    case TRANSPARENT_ETHERNET_BRIDGING:
      return INNER_ETHERNET;
    default:
      return 0;
  }
}

/** A 24-bit VNI at `at`. */
function vni(data: Buffer, at: number): number {
  return (data[at] << 16) | (data[at + 1] << 8) | data[at + 2];
}
