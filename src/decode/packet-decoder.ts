import { DECODE_REASON_NAMES, DecodeReason } from './decode-reason.js';
import { DecodedPacket, Fragment } from './decoded-packet.js';
import { ETHERTYPE_VLAN } from './ethertype.js';
import { FragmentTable } from './fragment-table.js';
import { icmpDestinationPort } from './icmp-port-equivalents.js';
import { IpProtocol } from '../net/ip-protocol.js';
import { decodeLinkLayer, ETHERTYPE_FROM_VERSION, ETHERTYPE_IPV4, ETHERTYPE_IPV6, LinkType } from './link-layer.js';
import { parseGre } from './tunnel-gre.js';
import { INNER_ETHERNET, NOT_A_TUNNEL, TUNNEL_NAMES, TunnelHeader, TunnelType } from './tunnel-header.js';
import { DEFAULT_TUNNEL_PORTS, tunnelPortTable, type TunnelPorts } from './tunnel-ports.js';
import { parseGeneve, parseGtpU, parseVxlan } from './tunnel-udp.js';

const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTH = 51;
const IPV6_DEST_OPTS = 60;
const IPV6_MOBILITY = 135;
const IPV6_HIP = 139;
const IPV6_SHIM6 = 140;
/** An Ethernet header: two addresses and the EtherType. */
const ETHERNET_HEADER_LENGTH = 14;
/** Bounds the extension-header walk on hostile input. */
const MAX_IPV6_EXTENSION_HEADERS = 16;
/** IP protocols that carry IPv4 and IPv6 directly (IP-in-IP, 6in4 and 4in6, IPv6-in-IPv6), and GRE. */
const IP_PROTOCOL_IPV4 = 4;
const IP_PROTOCOL_IPV6 = 41;
const IP_PROTOCOL_GRE = 47;
/**
 * Most tunnels opened inside one captured packet. Real overlays nest one or two deep (VXLAN in
 * an ERSPAN mirror); the bound keeps a crafted packet of nested headers from costing more.
 */
export const MAX_TUNNEL_DEPTH = 4;

/** What the decoder opened of tunnels: packets per tunnel type, and inner packets per outcome. */
export interface TunnelCounts {
  /** Tunnel packets opened, by tunnel name. */
  readonly decapsulated: Record<string, number>;
  /** Inner packets (and tunnel headers) that did not decode, by DecodeReason name. */
  readonly notDecoded: Record<string, number>;
}

/**
 * Decodes link, IP and transport headers into one reused DecodedPacket and counts every outcome
 * by reason. One instance per capture stream (it remembers first fragments).
 *
 * A packet that carries another (an overlay tunnel: VXLAN, Geneve, GTP-U by UDP port; IP-in-IP
 * and GRE by IP protocol) decodes as itself first; decapsulate() then overwrites the same
 * DecodedPacket with the packet inside, its tunnel fields naming the tunnel, as many times as
 * there are tunnels, at most MAX_TUNNEL_DEPTH.
 */
export class PacketDecoder {
  readonly packet = new DecodedPacket();
  /** Packets per DecodeReason, Ok included: one outcome per captured packet. */
  readonly counts = new Float64Array(DECODE_REASON_NAMES.length);
  /** Inner packets per DecodeReason, Ok included, and tunnel headers that could not be opened. */
  readonly innerCounts = new Float64Array(DECODE_REASON_NAMES.length);
  /** Tunnel packets opened per TunnelType. */
  readonly tunnelCounts = new Float64Array(TUNNEL_NAMES.length);
  private readonly fragments = new FragmentTable();
  private readonly portTunnels: Uint8Array;
  /** The tunnel header of the last packet decoded, valid while `innerPending`. */
  private readonly tunnel = new TunnelHeader();
  private innerPending = false;
  /** Where the pending inner packet's bytes end in the buffer. */
  private innerEnd = 0;
  /** Tunnels opened in the current captured packet. */
  private depth = 0;

  constructor(tunnelPorts: TunnelPorts = DEFAULT_TUNNEL_PORTS) {
    this.portTunnels = tunnelPortTable(tunnelPorts);
  }

  /** Decodes `data[offset .. offset+capturedLength)`; returns a DecodeReason (Ok = usable). */
  decode(data: Buffer, offset: number, capturedLength: number, linkType: number): number {
    this.packet.tunnelType = TunnelType.None;
    this.depth = 0;
    this.innerPending = false;
    const reason = this.decodeFrame(data, offset, offset + capturedLength, linkType);
    this.counts[reason]++;
    return reason;
  }

  /**
   * Decodes the packet the last decoded one carries, if it carries one: true when `packet` now
   * holds it (its tunnel fields set, its addresses the inner ones). Its outcome is counted in
   * innerCounts, so `counts` keeps one outcome per captured packet. `data` is the buffer of the
   * last decode.
   */
  decapsulate(data: Buffer): boolean {
    if (!this.innerPending) return false;
    this.innerPending = false;
    const p = this.packet;
    const h = this.tunnel;
    for (let i = 0; i < 4; i++) {
      p.tunnelSrc[i] = p.src[i];
      p.tunnelDst[i] = p.dst[i];
    }
    p.tunnelType = h.type;
    p.tunnelId = h.id;
    p.tunnelHasId = h.hasId;
    this.depth++;
    this.tunnelCounts[h.type]++;
    const reason = this.decodeFrame(data, h.innerAt, this.innerEnd, innerLinkType(h.innerEtherType));
    this.innerCounts[reason]++;
    return reason === DecodeReason.Ok;
  }

  /** Counts by reason name, omitting zeros: for summaries and metrics. */
  reasonCounts(): Record<string, number> {
    return namedCounts(this.counts, DECODE_REASON_NAMES);
  }

  /** What was opened of tunnels, omitting zeros: for summaries and metrics. */
  tunnelSummary(): TunnelCounts {
    const notDecoded = namedCounts(this.innerCounts, DECODE_REASON_NAMES);
    delete notDecoded.ok;
    return { decapsulated: namedCounts(this.tunnelCounts, TUNNEL_NAMES), notDecoded };
  }

  /**
   * Decodes the frame at `data[offset .. end)` of `linkType`, and the IP packet in it. The common
   * path (Ethernet with at most one 802.1Q tag, IPv4 or IPv6 with no extension header, TCP or UDP,
   * not a fragment, not a tunnel) runs in this one function, so that V8 compiles it with no calls;
   * every other case leaves it by a call: other link layers and framings (decodeLinkLayer), IPv6
   * extension headers, other transports, later fragments, tunnels. The IPv4 header is read here
   * whole (options and first fragments included): it is short, and splitting it would cost a call.
   */
  private decodeFrame(data: Buffer, offset: number, end: number, linkType: number): number {
    const p = this.packet;
    let at = offset + ETHERNET_HEADER_LENGTH;
    let etherType = 0;
    if (linkType === LinkType.Ethernet && end >= at) {
      etherType = (data[at - 2] << 8) | data[at - 1];
      if (etherType === ETHERTYPE_VLAN && end - at >= 4) {
        etherType = (data[at + 2] << 8) | data[at + 3];
        at += 4;
      }
    }
    if (etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6) {
      p.networkOffset = at;
      p.etherType = etherType;
    } else {
      // Not the common case: decodeLinkLayer reads the frame again from its start.
      const link = decodeLinkLayer(data, offset, end, linkType, p);
      if (link !== DecodeReason.Ok) return link;
      at = p.networkOffset;
      etherType = p.etherType;
    }
    p.encapsulates = TunnelType.None;
    if (at >= end) return DecodeReason.TruncatedIpHeader;
    if (etherType === ETHERTYPE_FROM_VERSION) {
      const version = data[at] >> 4;
      etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
      if (etherType === 0) return DecodeReason.BadIpVersion;
    }
    let transport: number;
    if (etherType === ETHERTYPE_IPV4) {
      // The version first (one byte is there): a short packet of the wrong version is counted as
      // the wrong version.
      const versionIhl = data[at];
      if (versionIhl >> 4 !== 4) return DecodeReason.BadIpVersion;
      if (end - at < 20) return DecodeReason.TruncatedIpHeader;
      const headerLength = (versionIhl & 0x0f) << 2;
      if (headerLength < 20) return DecodeReason.BadIpHeaderLength;
      if (end - at < headerLength) return DecodeReason.TruncatedIpHeader;
      let totalLength = (data[at + 2] << 8) | data[at + 3];
      // 0 is what TSO-offloaded outgoing packets show: take the captured length instead.
      if (totalLength === 0) totalLength = end - at;
      if (totalLength < headerLength) return DecodeReason.BadIpHeaderLength;
      p.ipVersion = 4;
      p.ipLength = totalLength;
      p.protocol = data[at + 9];
      p.fragmentId = (data[at + 4] << 8) | data[at + 5];
      const flagsOffset = (data[at + 6] << 8) | data[at + 7];
      p.fragment = (flagsOffset & 0x1fff) !== 0 ? Fragment.Later : flagsOffset & 0x2000 ? Fragment.First : Fragment.None;
      p.src[0] = p.src[1] = p.dst[0] = p.dst[1] = 0;
      p.src[2] = p.dst[2] = 0xffff;
      p.src[3] = i32be(data, at + 12);
      p.dst[3] = i32be(data, at + 16);
      transport = at + headerLength;
    } else {
      if (data[at] >> 4 !== 6) return DecodeReason.BadIpVersion;
      if (end - at < 40) return DecodeReason.TruncatedIpHeader;
      const payloadLength = (data[at + 4] << 8) | data[at + 5];
      p.ipVersion = 6;
      // A zero payload length is a jumbogram or TSO: take the captured length instead.
      p.ipLength = payloadLength === 0 ? end - at : 40 + payloadLength;
      p.fragment = Fragment.None;
      p.fragmentId = 0;
      for (let i = 0; i < 4; i++) {
        p.src[i] = i32be(data, at + 8 + 4 * i);
        p.dst[i] = i32be(data, at + 24 + 4 * i);
      }
      const next = data[at + 6];
      p.protocol = next;
      transport = at + 40;
      if (next !== IpProtocol.Tcp && next !== IpProtocol.Udp) {
        transport = this.walkIpv6Extensions(data, transport, end, next);
        if (transport < 0) return -transport;
      }
    }
    if (p.fragment === Fragment.Later) return this.laterFragment(transport);
    const wireEnd = at + p.ipLength;
    let headerLength: number;
    p.srcPort = p.dstPort = p.tcpFlags = p.tcpSeq = p.tcpAck = p.icmpType = p.icmpCode = 0;
    const protocol = p.protocol;
    if (protocol === IpProtocol.Tcp) {
      if (end - transport < 20) return DecodeReason.TruncatedTransportHeader;
      headerLength = (data[transport + 12] >> 4) << 2;
      if (headerLength < 20) return DecodeReason.BadTcpHeaderLength;
      p.srcPort = (data[transport] << 8) | data[transport + 1];
      p.dstPort = (data[transport + 2] << 8) | data[transport + 3];
      p.tcpSeq = i32be(data, transport + 4);
      p.tcpAck = i32be(data, transport + 8);
      p.tcpFlags = data[transport + 13];
    } else if (protocol === IpProtocol.Udp) {
      if (end - transport < 8) return DecodeReason.TruncatedTransportHeader;
      headerLength = 8;
      p.srcPort = (data[transport] << 8) | data[transport + 1];
      p.dstPort = (data[transport + 2] << 8) | data[transport + 3];
    } else {
      headerLength = this.decodeOtherTransport(data, transport, end);
      if (headerLength < 0) return -headerLength;
    }
    const payload = transport + headerLength;
    p.payloadOffset = payload;
    p.payloadLength = Math.max(0, wireEnd - payload);
    // Ethernet pads short frames: never count trailer bytes past the IP length as payload.
    p.payloadCaptured = Math.max(0, Math.min(end, wireEnd) - payload);
    if (p.fragment === Fragment.First) this.fragments.remember(p);
    // Tested here, not in findTunnel: most packets are no tunnel, and this keeps them from a call.
    if (protocol === IpProtocol.Udp ? this.portTunnels[p.dstPort] !== TunnelType.None : protocol === IP_PROTOCOL_IPV4 || protocol === IP_PROTOCOL_IPV6 || protocol === IP_PROTOCOL_GRE) {
      this.findTunnel(data);
    }
    return DecodeReason.Ok;
  }

  /**
   * A later IP fragment carries no transport header: its ports come from its first fragment, and
   * the rest of what the previous packet left is cleared, or the flow table would see its flags
   * (a stale SYN looks like a new connection).
   */
  private laterFragment(transport: number): number {
    const p = this.packet;
    if (!this.fragments.recall(p)) return DecodeReason.FragmentWithoutFirst;
    p.tcpFlags = p.tcpSeq = p.tcpAck = p.icmpType = p.icmpCode = 0;
    p.payloadOffset = transport;
    p.payloadCaptured = 0;
    p.payloadLength = 0;
    return DecodeReason.Ok;
  }

  /**
   * Reads the tunnel header the decoded packet carries, if it is a tunnel packet: marks the
   * packet (`encapsulates`) and leaves its inner packet pending for decapsulate(), or counts why
   * the inner packet cannot be read (a cut header, a fragment, too deep).
   */
  private findTunnel(data: Buffer): void {
    const p = this.packet;
    const at = p.payloadOffset;
    const end = at + p.payloadCaptured;
    const h = this.tunnel;
    let reason: number;
    switch (p.protocol) {
      case IpProtocol.Udp:
        switch (this.portTunnels[p.dstPort]) {
          case TunnelType.None:
            return;
          case TunnelType.Vxlan:
            reason = parseVxlan(data, at, end, h);
            break;
          case TunnelType.Geneve:
            reason = parseGeneve(data, at, end, h);
            break;
          default:
            reason = parseGtpU(data, at, end, h);
        }
        break;
      case IP_PROTOCOL_IPV4:
        h.set(TunnelType.IpInIp, 0, 0, at, ETHERTYPE_IPV4);
        reason = DecodeReason.Ok;
        break;
      case IP_PROTOCOL_IPV6:
        h.set(TunnelType.IpInIp, 0, 0, at, ETHERTYPE_IPV6);
        reason = DecodeReason.Ok;
        break;
      case IP_PROTOCOL_GRE:
        reason = parseGre(data, at, end, h);
        break;
      default:
        return;
    }
    if (reason === NOT_A_TUNNEL) return;
    if (reason !== DecodeReason.Ok) {
      this.innerCounts[reason]++;
      return;
    }
    p.encapsulates = h.type;
    if (p.fragment === Fragment.First) this.innerCounts[DecodeReason.TunnelInFragment]++;
    else if (this.depth >= MAX_TUNNEL_DEPTH) this.innerCounts[DecodeReason.TunnelTooDeep]++;
    else {
      this.innerPending = true;
      this.innerEnd = end;
    }
  }

  /**
   * Walks IPv6 extension headers from `pos`, where header `next` starts; sets the protocol they
   * lead to, and a fragment header's fields. Returns the transport header's index, or minus a
   * DecodeReason.
   */
  private walkIpv6Extensions(data: Buffer, pos: number, end: number, next: number): number {
    const p = this.packet;
    for (let n = 0; ; n++) {
      if (n > MAX_IPV6_EXTENSION_HEADERS) return -DecodeReason.TruncatedIpv6ExtensionHeader;
      switch (next) {
        case IPV6_HOP_BY_HOP:
        case IPV6_ROUTING:
        case IPV6_DEST_OPTS:
        case IPV6_MOBILITY:
        case IPV6_HIP:
        case IPV6_SHIM6:
          if (end - pos < 8) return -DecodeReason.TruncatedIpv6ExtensionHeader;
          next = data[pos];
          pos += (data[pos + 1] + 1) << 3;
          continue;
        case IPV6_AUTH:
          if (end - pos < 8) return -DecodeReason.TruncatedIpv6ExtensionHeader;
          next = data[pos];
          pos += (data[pos + 1] + 2) << 2;
          continue;
        case IPV6_FRAGMENT: {
          if (end - pos < 8) return -DecodeReason.TruncatedIpv6ExtensionHeader;
          next = data[pos];
          const offsetFlags = (data[pos + 2] << 8) | data[pos + 3];
          p.fragmentId = i32be(data, pos + 4);
          p.fragment = offsetFlags >> 3 !== 0 ? Fragment.Later : offsetFlags & 1 ? Fragment.First : Fragment.None;
          pos += 8;
          if (p.fragment === Fragment.Later) {
            p.protocol = next;
            return pos;
          }
          continue;
        }
        default:
          p.protocol = next;
          if (pos > end) return -DecodeReason.TruncatedIpv6ExtensionHeader;
          return pos;
      }
    }
  }

  /**
   * The transport headers other than TCP and UDP at `at`: SCTP's common header, and ICMP and
   * ICMPv6 messages, which get their port equivalents as ports (icmp-port-equivalents.ts), so the
   * flow table keys them as Zeek and the Community ID spec do with no ICMP case of its own. Any
   * other protocol has no header the decoder reads. Returns the header's length, or minus a
   * DecodeReason.
   */
  private decodeOtherTransport(data: Buffer, at: number, end: number): number {
    const p = this.packet;
    switch (p.protocol) {
      case IpProtocol.Sctp:
        // The common header: ports, verification tag, checksum; chunks follow.
        if (end - at < 12) return -DecodeReason.TruncatedTransportHeader;
        p.srcPort = (data[at] << 8) | data[at + 1];
        p.dstPort = (data[at + 2] << 8) | data[at + 3];
        return 12;
      case IpProtocol.Icmp:
      case IpProtocol.Icmpv6:
        if (end - at < 4) return -DecodeReason.TruncatedTransportHeader;
        p.icmpType = data[at];
        p.icmpCode = data[at + 1];
        p.srcPort = p.icmpType;
        p.dstPort = icmpDestinationPort(p.protocol, p.icmpType, p.icmpCode);
        return 4;
      default:
        return 0;
    }
  }
}

/** The link type a tunnel's inner packet is decoded as, from what its tunnel header says it is. */
function innerLinkType(innerEtherType: number): number {
  switch (innerEtherType) {
    case INNER_ETHERNET:
      return LinkType.Ethernet;
    case ETHERTYPE_IPV4:
      return LinkType.Ipv4;
    case ETHERTYPE_IPV6:
      return LinkType.Ipv6;
    default:
      return LinkType.Raw;
  }
}

/** Non-zero counters by name. */
function namedCounts(counts: Float64Array, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) out[names[i]] = counts[i];
  return out;
}

/** Big-endian 32-bit read by hand, as a signed bit pattern (see DecodedPacket). */
function i32be(data: Buffer, at: number): number {
  return (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
}
