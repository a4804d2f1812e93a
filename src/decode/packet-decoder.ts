import { DECODE_REASON_NAMES, DecodeReason } from './decode-reason.js';
import { DecodedPacket, Fragment } from './decoded-packet.js';
import { FragmentTable } from './fragment-table.js';
import { icmpDestinationPort } from './icmp-port-equivalents.js';
import { IpProtocol } from './ip-protocol.js';
import { decodeLinkLayer, ETHERTYPE_FROM_VERSION, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './link-layer.js';

const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTH = 51;
const IPV6_NO_NEXT = 59;
const IPV6_DEST_OPTS = 60;
const IPV6_MOBILITY = 135;
const IPV6_HIP = 139;
const IPV6_SHIM6 = 140;
/** Bounds the extension-header walk on hostile input. */
const MAX_IPV6_EXTENSION_HEADERS = 16;

/**
 * Decodes link, IP and transport headers into one reused DecodedPacket and counts every outcome
 * by reason. One instance per capture stream (it remembers first fragments).
 */
export class PacketDecoder {
  readonly packet = new DecodedPacket();
  /** Packets per DecodeReason, Ok included. */
  readonly counts = new Float64Array(DECODE_REASON_NAMES.length);
  private readonly fragments = new FragmentTable();

  /** Decodes `data[offset .. offset+capturedLength)`; returns a DecodeReason (Ok = usable). */
  decode(data: Buffer, offset: number, capturedLength: number, linkType: number): number {
    const reason = this.decodeUncounted(data, offset, offset + capturedLength, linkType);
    this.counts[reason]++;
    return reason;
  }

  /** Counts by reason name, omitting zeros: for summaries and metrics. */
  reasonCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] > 0) out[DECODE_REASON_NAMES[i]] = this.counts[i];
    return out;
  }

  private decodeUncounted(data: Buffer, offset: number, end: number, linkType: number): number {
    const p = this.packet;
    const link = decodeLinkLayer(data, offset, end, linkType, p);
    if (link !== DecodeReason.Ok) return link;
    const at = p.networkOffset;
    if (at >= end) return DecodeReason.TruncatedIpHeader;
    let etherType = p.etherType;
    if (etherType === ETHERTYPE_FROM_VERSION) {
      const version = data[at] >> 4;
      etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
      if (etherType === 0) return DecodeReason.BadIpVersion;
    }
    const transport = etherType === ETHERTYPE_IPV4 ? this.decodeIpv4(data, at, end) : this.decodeIpv6(data, at, end);
    if (transport < 0) return -transport;
    if (p.fragment === Fragment.Later) {
      if (!this.fragments.recall(p)) return DecodeReason.FragmentWithoutFirst;
      // No transport header here: clear what the previous packet left, or the flow table would
      // see its flags (a stale SYN looks like a new connection).
      p.tcpFlags = p.tcpSeq = p.tcpAck = p.icmpType = p.icmpCode = 0;
      p.payloadOffset = transport;
      p.payloadCaptured = 0;
      p.payloadLength = 0;
      return DecodeReason.Ok;
    }
    const reason = this.decodeTransport(data, transport, end, at + p.ipLength);
    if (reason === DecodeReason.Ok && p.fragment === Fragment.First) this.fragments.remember(p);
    return reason;
  }

  /** Returns the transport header's index, or minus a DecodeReason. */
  private decodeIpv4(data: Buffer, at: number, end: number): number {
    const p = this.packet;
    // The version first (the caller guarantees one byte): a short packet of the wrong version
    // is counted as the wrong version.
    const versionIhl = data[at];
    if (versionIhl >> 4 !== 4) return -DecodeReason.BadIpVersion;
    if (end - at < 20) return -DecodeReason.TruncatedIpHeader;
    const headerLength = (versionIhl & 0x0f) << 2;
    if (headerLength < 20) return -DecodeReason.BadIpHeaderLength;
    if (end - at < headerLength) return -DecodeReason.TruncatedIpHeader;
    let totalLength = (data[at + 2] << 8) | data[at + 3];
    // 0 is what TSO-offloaded outgoing packets show: take the captured length instead.
    if (totalLength === 0) totalLength = end - at;
    if (totalLength < headerLength) return -DecodeReason.BadIpHeaderLength;
    p.ipVersion = 4;
    p.ipLength = totalLength;
    p.protocol = data[at + 9];
    p.fragmentId = (data[at + 4] << 8) | data[at + 5];
    const flagsOffset = (data[at + 6] << 8) | data[at + 7];
    const fragmentOffset = flagsOffset & 0x1fff;
    p.fragment = fragmentOffset !== 0 ? Fragment.Later : flagsOffset & 0x2000 ? Fragment.First : Fragment.None;
    p.src[0] = p.src[1] = p.dst[0] = p.dst[1] = 0;
    p.src[2] = p.dst[2] = 0xffff;
    p.src[3] = i32be(data, at + 12);
    p.dst[3] = i32be(data, at + 16);
    return at + headerLength;
  }

  private decodeIpv6(data: Buffer, at: number, end: number): number {
    const p = this.packet;
    if (data[at] >> 4 !== 6) return -DecodeReason.BadIpVersion;
    if (end - at < 40) return -DecodeReason.TruncatedIpHeader;
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
    let next = data[at + 6];
    let pos = at + 40;
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
   * Decodes TCP/UDP/SCTP/ICMP at `at`; `wireEnd` is where the IP datagram ends on the wire. ICMP
   * messages get their port equivalents as ports (icmp-port-equivalents.ts), so the flow table
   * keys them as Zeek and the Community ID spec do with no ICMP case of its own.
   */
  private decodeTransport(data: Buffer, at: number, end: number, wireEnd: number): number {
    const p = this.packet;
    p.srcPort = p.dstPort = p.tcpFlags = p.tcpSeq = p.tcpAck = p.icmpType = p.icmpCode = 0;
    let headerLength: number;
    switch (p.protocol) {
      case IpProtocol.Tcp:
        if (end - at < 20) return DecodeReason.TruncatedTransportHeader;
        headerLength = (data[at + 12] >> 4) << 2;
        if (headerLength < 20) return DecodeReason.BadTcpHeaderLength;
        p.srcPort = (data[at] << 8) | data[at + 1];
        p.dstPort = (data[at + 2] << 8) | data[at + 3];
        p.tcpSeq = i32be(data, at + 4);
        p.tcpAck = i32be(data, at + 8);
        p.tcpFlags = data[at + 13];
        break;
      case IpProtocol.Udp:
        if (end - at < 8) return DecodeReason.TruncatedTransportHeader;
        headerLength = 8;
        p.srcPort = (data[at] << 8) | data[at + 1];
        p.dstPort = (data[at + 2] << 8) | data[at + 3];
        break;
      case IpProtocol.Sctp:
        // The common header: ports, verification tag, checksum; chunks follow.
        if (end - at < 12) return DecodeReason.TruncatedTransportHeader;
        headerLength = 12;
        p.srcPort = (data[at] << 8) | data[at + 1];
        p.dstPort = (data[at + 2] << 8) | data[at + 3];
        break;
      case IpProtocol.Icmp:
      case IpProtocol.Icmpv6:
        if (end - at < 4) return DecodeReason.TruncatedTransportHeader;
        headerLength = 4;
        p.icmpType = data[at];
        p.icmpCode = data[at + 1];
        p.srcPort = p.icmpType;
        p.dstPort = icmpDestinationPort(p.protocol, p.icmpType, p.icmpCode);
        break;
      case IPV6_NO_NEXT:
      default:
        headerLength = 0;
    }
    const payload = at + headerLength;
    p.payloadOffset = payload;
    p.payloadLength = Math.max(0, wireEnd - payload);
    // Ethernet pads short frames: never count trailer bytes past the IP length as payload.
    p.payloadCaptured = Math.max(0, Math.min(end, wireEnd) - payload);
    return DecodeReason.Ok;
  }
}

/** Big-endian 32-bit read by hand, as a signed bit pattern (see DecodedPacket). */
function i32be(data: Buffer, at: number): number {
  return (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
}
