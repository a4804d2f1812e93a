import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';

/** LINKTYPE_ values (tcpdump.org/linktypes.html) the decoder understands. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  /** DLT_RAW as OpenBSD and others write it. */
  RawOpenBsd: 12,
  RawBsdi: 14,
  Raw: 101,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
/** Sentinel etherType meaning "look at the IP version nibble". */
export const ETHERTYPE_FROM_VERSION = -1;
const MAX_VLAN_TAGS = 8;

/**
 * Finds the network header: sets `out.networkOffset` and `out.etherType` (or
 * ETHERTYPE_FROM_VERSION for raw IP). Returns DecodeReason.Ok or why not.
 */
export function decodeLinkLayer(data: Buffer, offset: number, end: number, linkType: number, out: DecodedPacket): number {
  let at: number;
  let etherType: number;
  switch (linkType) {
    case LinkType.Ethernet:
      if (end - offset < 14) return DecodeReason.TruncatedLinkHeader;
      etherType = (data[offset + 12] << 8) | data[offset + 13];
      at = offset + 14;
      break;
    case LinkType.LinuxSll:
      if (end - offset < 16) return DecodeReason.TruncatedLinkHeader;
      etherType = (data[offset + 14] << 8) | data[offset + 15];
      at = offset + 16;
      break;
    case LinkType.LinuxSll2:
      if (end - offset < 20) return DecodeReason.TruncatedLinkHeader;
      etherType = (data[offset] << 8) | data[offset + 1];
      at = offset + 20;
      break;
    case LinkType.Raw:
    case LinkType.RawOpenBsd:
    case LinkType.RawBsdi:
      out.networkOffset = offset;
      out.etherType = ETHERTYPE_FROM_VERSION;
      return DecodeReason.Ok;
    // These name their IP version: a packet of the other one is counted as a bad version.
    case LinkType.Ipv4:
      out.networkOffset = offset;
      out.etherType = ETHERTYPE_IPV4;
      return DecodeReason.Ok;
    case LinkType.Ipv6:
      out.networkOffset = offset;
      out.etherType = ETHERTYPE_IPV6;
      return DecodeReason.Ok;
    case LinkType.Null:
    case LinkType.Loop: {
      if (end - offset < 4) return DecodeReason.TruncatedLinkHeader;
      // DLT_NULL is in the capturing host's byte order, LOOP in network order: AF values are
      // small, so whichever end holds the non-zero byte is the right one.
      const family = data[offset] !== 0 ? data[offset] : data[offset + 3];
      out.networkOffset = offset + 4;
      out.etherType = family === 2 ? ETHERTYPE_IPV4 : isInet6Family(family) ? ETHERTYPE_IPV6 : 0;
      return out.etherType === 0 ? DecodeReason.NotIp : DecodeReason.Ok;
    }
    default:
      return DecodeReason.UnsupportedLinkType;
  }
  // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tags: skip each 4-byte tag.
  let tags = 0;
  while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
    if (++tags > MAX_VLAN_TAGS) return DecodeReason.TooManyVlanTags;
    if (end - at < 4) return DecodeReason.TruncatedLinkHeader;
    etherType = (data[at + 2] << 8) | data[at + 3];
    at += 4;
  }
  out.networkOffset = at;
  out.etherType = etherType;
  return etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6 ? DecodeReason.Ok : DecodeReason.NotIp;
}

/** AF_INET6 differs by OS: Linux 10, BSDs 24, FreeBSD 28, Darwin 30. */
function isInet6Family(family: number): boolean {
  return family === 10 || family === 24 || family === 28 || family === 30;
}
