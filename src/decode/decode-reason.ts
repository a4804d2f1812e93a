/**
 * Why a packet did not yield a complete transport-layer view. Each has a counter: nothing is
 * dropped silently. Codes index `DECODE_REASON_NAMES` and the decoder's counter array.
 */
export const DecodeReason = {
  Ok: 0,
  UnsupportedLinkType: 1,
  TruncatedLinkHeader: 2,
  NotIp: 3,
  TruncatedIpHeader: 4,
  BadIpVersion: 5,
  BadIpHeaderLength: 6,
  TruncatedIpv6ExtensionHeader: 7,
  TruncatedTransportHeader: 8,
  BadTcpHeaderLength: 9,
  FragmentWithoutFirst: 10,
  TooManyVlanTags: 11,
  /** The packet's time is before 1970 or after 9999 (src/capture/capture-time.ts): counted, not used. */
  TimestampOutOfRange: 12,
  /** A tunnel header (tunnel-udp.ts, tunnel-gre.ts) shorter than its fields say. */
  TruncatedTunnelHeader: 13,
  /** A tunnel whose payload or variant the decoder does not open (GRE version 1, an unknown protocol type). */
  UnsupportedTunnelPayload: 14,
  /** Encapsulation nested deeper than MAX_TUNNEL_DEPTH: the innermost packets stay inside. */
  TunnelTooDeep: 15,
  /** A tunnel packet in an IP fragment: its inner packet is not reassembled. */
  TunnelInFragment: 16,
} as const;
export type DecodeReason = (typeof DecodeReason)[keyof typeof DecodeReason];

/** Stable names, used as metric labels and in reports. */
export const DECODE_REASON_NAMES: readonly string[] = [
  'ok',
  'unsupported-link-type',
  'truncated-link-header',
  'not-ip',
  'truncated-ip-header',
  'bad-ip-version',
  'bad-ip-header-length',
  'truncated-ipv6-extension-header',
  'truncated-transport-header',
  'bad-tcp-header-length',
  'fragment-without-first',
  'too-many-vlan-tags',
  'timestamp-out-of-range',
  'truncated-tunnel-header',
  'unsupported-tunnel-payload',
  'tunnel-too-deep',
  'tunnel-in-fragment',
];
