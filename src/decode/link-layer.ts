import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';
import {
  ETHERNET_MAX_LENGTH,
  ETHERTYPE_CISCO_FABRICPATH,
  ETHERTYPE_CISCO_VNTAG,
  ETHERTYPE_FROM_VERSION,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_MPLS_MULTICAST,
  ETHERTYPE_MPLS_UNICAST,
  ETHERTYPE_PBB_ITAG,
  ETHERTYPE_PPPOE_DISCOVERY,
  ETHERTYPE_PPPOE_SESSION,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN,
} from './ethertype.js';
import { decodeLlcSnap } from './llc-snap.js';
import { decodeMplsLabelStack } from './mpls-label-stack.js';
import { decodeNflog } from './nflog.js';
import { decodeCiscoHdlc, decodePppFrame, decodePppoeSession } from './ppp.js';

export { ETHERTYPE_FROM_VERSION, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';

/** LINKTYPE_ values (tcpdump.org/linktypes.html) the decoder understands. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Ppp: 9,
  /** DLT_RAW as OpenBSD and others write it. */
  RawOpenBsd: 12,
  RawBsdi: 14,
  /** PPP in HDLC-like framing (RFC 1662), or Cisco HDLC on BSD serial lines. */
  PppHdlc: 50,
  /** A PPPoE session header, then PPP: no Ethernet header. */
  PppEther: 51,
  Raw: 101,
  CiscoHdlc: 104,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  /** Linux netfilter log records (`tcpdump -i nflog:N`). */
  Nflog: 239,
  LinuxSll2: 276,
} as const;

/** 802.11 link types: plain, Prism, radiotap, AVS and PPI headers. Counted, not decoded. */
const LINKTYPE_IEEE802_11 = 105;
const LINKTYPE_IEEE802_11_PRISM = 119;
const LINKTYPE_IEEE802_11_RADIOTAP = 127;
const LINKTYPE_IEEE802_11_AVS = 163;
const LINKTYPE_PPI = 192;

/** A Linux cooked capture's protocol for 802.2 LLC frames (ETH_P_802_2). */
const SLL_PROTOCOL_LLC = 0x0004;
const MAX_VLAN_TAGS = 8;
/** Bounds the nesting of PBB, PPPoE, LLC/SNAP and MPLS headers in one frame on hostile input. */
const MAX_LINK_HEADERS = 8;
/** 802.1ah: the 4-byte I-TAG, then the customer's destination and source addresses. */
const PBB_HEADER_LENGTH = 16;

/**
 * Finds the network header: sets `out.networkOffset` and `out.etherType` (or
 * ETHERTYPE_FROM_VERSION for raw IP). Returns DecodeReason.Ok or why not.
 */
export function decodeLinkLayer(data: Buffer, offset: number, end: number, linkType: number, out: DecodedPacket): number {
  switch (linkType) {
    case LinkType.Ethernet:
      if (end - offset < 14) return DecodeReason.TruncatedLinkHeader;
      return decodeEtherTypes(data, offset + 14, end, (data[offset + 12] << 8) | data[offset + 13], out);
    case LinkType.LinuxSll:
      if (end - offset < 16) return DecodeReason.TruncatedLinkHeader;
      return decodeCookedProtocol(data, offset + 16, end, (data[offset + 14] << 8) | data[offset + 15], out);
    case LinkType.LinuxSll2:
      if (end - offset < 20) return DecodeReason.TruncatedLinkHeader;
      return decodeCookedProtocol(data, offset + 20, end, (data[offset] << 8) | data[offset + 1], out);
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
    case LinkType.Ppp:
    case LinkType.PppHdlc:
      return continueAfter(decodePppFrame(data, offset, end, out), data, end, out);
    case LinkType.PppEther:
      return continueAfter(decodePppoeSession(data, offset, end, out), data, end, out);
    case LinkType.CiscoHdlc:
      return continueAfter(decodeCiscoHdlc(data, offset, end, out), data, end, out);
    case LinkType.Nflog:
      return decodeNflog(data, offset, end, out);
    case LINKTYPE_IEEE802_11:
    case LINKTYPE_IEEE802_11_PRISM:
    case LINKTYPE_IEEE802_11_RADIOTAP:
    case LINKTYPE_IEEE802_11_AVS:
    case LINKTYPE_PPI:
      return DecodeReason.Ieee80211;
    default:
      return DecodeReason.UnsupportedLinkType;
  }
}

/** A cooked capture's protocol is an EtherType, or below 0x0600 a Linux ETH_P_ value: of those only LLC is read. */
function decodeCookedProtocol(data: Buffer, at: number, end: number, protocol: number, out: DecodedPacket): number {
  if (protocol <= ETHERNET_MAX_LENGTH && protocol !== SLL_PROTOCOL_LLC) return DecodeReason.NotIp;
  return decodeEtherTypes(data, at, end, protocol, out);
}

/** After a header decoder that left the next EtherType in `out`: follow it. */
function continueAfter(reason: number, data: Buffer, end: number, out: DecodedPacket): number {
  return reason === DecodeReason.Ok ? decodeEtherTypes(data, out.networkOffset, end, out.etherType, out) : reason;
}

/**
 * Follows EtherTypes from `at` until IP: VLAN tags (802.1Q, 802.1ad QinQ, the old 0x9100), 802.1ah
 * PBB, MPLS, PPPoE sessions, and an 802.3 length field's LLC/SNAP header. Each header decoder
 * leaves the next EtherType and its offset in `out`. The formats that stay undecoded are counted
 * by name (PPPoE discovery, FabricPath, VN-Tag); any other EtherType is not IP.
 */
export function decodeEtherTypes(data: Buffer, at: number, end: number, etherType: number, out: DecodedPacket): number {
  let tags = 0;
  let headers = 0;
  for (;;) {
    let reason: number;
    switch (etherType) {
      case ETHERTYPE_IPV4:
      case ETHERTYPE_IPV6:
      case ETHERTYPE_FROM_VERSION:
        out.networkOffset = at;
        out.etherType = etherType;
        return DecodeReason.Ok;
      case ETHERTYPE_VLAN:
      case ETHERTYPE_QINQ:
      case ETHERTYPE_QINQ_OLD:
        if (++tags > MAX_VLAN_TAGS) return DecodeReason.TooManyVlanTags;
        if (end - at < 4) return DecodeReason.TruncatedLinkHeader;
        etherType = (data[at + 2] << 8) | data[at + 3];
        at += 4;
        continue;
      case ETHERTYPE_MPLS_UNICAST:
      case ETHERTYPE_MPLS_MULTICAST:
        reason = decodeMplsLabelStack(data, at, end, out);
        break;
      case ETHERTYPE_PPPOE_SESSION:
        reason = decodePppoeSession(data, at, end, out);
        break;
      case ETHERTYPE_PBB_ITAG:
        if (end - at < PBB_HEADER_LENGTH + 2) return DecodeReason.TruncatedLinkHeader;
        out.networkOffset = at + PBB_HEADER_LENGTH + 2;
        out.etherType = (data[at + PBB_HEADER_LENGTH] << 8) | data[at + PBB_HEADER_LENGTH + 1];
        reason = DecodeReason.Ok;
        break;
      case ETHERTYPE_PPPOE_DISCOVERY:
        return DecodeReason.PppoeDiscovery;
      case ETHERTYPE_CISCO_FABRICPATH:
        return DecodeReason.CiscoFabricPath;
      case ETHERTYPE_CISCO_VNTAG:
        return DecodeReason.CiscoVnTag;
      default:
        if (etherType > ETHERNET_MAX_LENGTH) return DecodeReason.NotIp;
        reason = decodeLlcSnap(data, at, end, out);
    }
    if (reason !== DecodeReason.Ok) return reason;
    if (++headers > MAX_LINK_HEADERS) return DecodeReason.TooManyLinkHeaders;
    at = out.networkOffset;
    etherType = out.etherType;
  }
}

/** AF_INET6 differs by OS: Linux 10, BSDs 24, FreeBSD 28, Darwin 30. */
function isInet6Family(family: number): boolean {
  return family === 10 || family === 24 || family === 28 || family === 30;
}
