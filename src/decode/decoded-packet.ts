/** Where a packet stands with respect to IP fragmentation. */
export const Fragment = {
  /** Not fragmented. */
  None: 0,
  /** Offset 0 with more fragments to come: carries the transport header. */
  First: 1,
  /** Offset > 0: no transport header; ports come from the first fragment. */
  Later: 2,
} as const;

/**
 * One packet's decoded headers. The decoder overwrites a single instance per packet, so the hot
 * path allocates nothing; consumers copy what they keep. Addresses are four 32-bit words each,
 * IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so flows key on one shape. Words and
 * sequence numbers are held as signed 32-bit bit patterns: V8 keeps int32 unboxed, whereas uint32
 * values above 2^31 fall back to doubles and deoptimise the hot path.
 */
export class DecodedPacket {
  ipVersion = 0;
  protocol = 0;
  readonly src = new Int32Array(4);
  readonly dst = new Int32Array(4);
  /** TCP, UDP and SCTP ports; for ICMP and ICMPv6 the message's port equivalents (icmp-port-equivalents.ts). */
  srcPort = 0;
  dstPort = 0;
  /** IP datagram length on the wire (header included), from the IP header. */
  ipLength = 0;
  fragment: number = Fragment.None;
  /** IPv4 identification or IPv6 fragment identification. */
  fragmentId = 0;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  /** ICMP/ICMPv6 type and code, or 0. */
  icmpType = 0;
  icmpCode = 0;
  /** Index in the capture buffer of the transport payload. */
  payloadOffset = 0;
  /** Payload bytes present in the capture (snaplen may cut them). */
  payloadCaptured = 0;
  /** Payload length on the wire, from the IP length. */
  payloadLength = 0;
  /** Offset of the network header inside the frame, kept for link-layer consumers. */
  networkOffset = 0;
  etherType = 0;
  /** The tunnel that carried this packet (tunnel-header.ts), TunnelType.None for a packet as captured. */
  tunnelType = 0;
  /** The carrying tunnel's VNI, key, session or TEID (signed bit pattern), when tunnelHasId is 1. */
  tunnelId = 0;
  tunnelHasId = 0;
  /** The carrying packet's source and destination addresses (the nodes'), when tunnelType is set. */
  readonly tunnelSrc = new Int32Array(4);
  readonly tunnelDst = new Int32Array(4);
  /** The tunnel this packet carries inside it: it is an outer packet of an overlay. None for most. */
  encapsulates = 0;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;
