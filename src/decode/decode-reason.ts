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
  /** More MPLS labels than the decoder walks (link-framings.ts, MAX_MPLS_LABELS). */
  TooManyMplsLabels: 13,
  /** After the bottom MPLS label, a pseudowire control word or associated channel (first nibble 0 or 1). */
  MplsPseudowire: 14,
  /** PPPoE discovery (PADI, PADO, PADR, PADS, PADT): session setup, no IP. */
  PppoeDiscovery: 15,
  /** An 802.3 frame whose LLC header is not SNAP (spanning tree, NetBIOS, IPX over LLC, ...). */
  LlcNotSnap: 16,
  /** An NFLOG record whose TLVs hold no NFULA_PAYLOAD, or a TLV whose length is impossible. */
  NflogWithoutPayload: 17,
  /** Cisco FabricPath (EtherType 0x8903): counted, not decoded. */
  CiscoFabricPath: 18,
  /** Cisco VN-Tag (EtherType 0x8926): counted, not decoded. */
  CiscoVnTag: 19,
  /** 802.11 link types (plain, radiotap, Prism, AVS, PPI): counted, not decoded. */
  Ieee80211: 20,
  /** More nested link headers (PBB, PPPoE, LLC/SNAP, MPLS stacks) than the decoder walks. */
  TooManyLinkHeaders: 21,
  /** A tunnel header (tunnel-udp.ts, tunnel-gre.ts) shorter than its fields say. */
  TruncatedTunnelHeader: 22,
  /** A tunnel whose payload or variant the decoder does not open (GRE version 1, an unknown protocol type). */
  UnsupportedTunnelPayload: 23,
  /** Encapsulation nested deeper than MAX_TUNNEL_DEPTH: the innermost packets stay inside. */
  TunnelTooDeep: 24,
  /** A tunnel packet in an IP fragment: its inner packet is not reassembled. */
  TunnelInFragment: 25,
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
  'too-many-mpls-labels',
  'mpls-pseudowire',
  'pppoe-discovery',
  'llc-not-snap',
  'nflog-without-payload',
  'cisco-fabric-path',
  'cisco-vn-tag',
  'ieee80211',
  'too-many-link-headers',
  'truncated-tunnel-header',
  'unsupported-tunnel-payload',
  'tunnel-too-deep',
  'tunnel-in-fragment',
];
