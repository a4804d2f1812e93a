/** The encapsulations the decoder opens. Codes index TUNNEL_NAMES and the decoder's tunnel counters. */
export const TunnelType = {
  None: 0,
  Vxlan: 1,
  Geneve: 2,
  /** IPv4 or IPv6 directly in IPv4 or IPv6 (IP protocols 4 and 41). */
  IpInIp: 3,
  Gre: 4,
  Erspan: 5,
  GtpU: 6,
} as const;
export type TunnelType = (typeof TunnelType)[keyof typeof TunnelType];

/** Stable names, used in flow records, metric labels and summaries. */
export const TUNNEL_NAMES: readonly string[] = ['none', 'vxlan', 'geneve', 'ip-in-ip', 'gre', 'erspan', 'gtp-u'];

/** What a tunnel's identifier is called in its own specification: VNI, GRE key, session, TEID. */
const TUNNEL_ID_NAMES: readonly string[] = ['', 'vni', 'vni', '', 'key', 'session', 'teid'];

/** The name of the identifier of the tunnel named `type` (a TUNNEL_NAMES entry), for reports. */
export function tunnelIdName(type: string): string {
  return TUNNEL_ID_NAMES[TUNNEL_NAMES.indexOf(type)] ?? 'id';
}

/** An inner packet that starts with an Ethernet header (VXLAN, Geneve, GRE TEB, ERSPAN). */
export const INNER_ETHERNET = -2;

/** Returned by a tunnel header parser when the bytes are not that tunnel (plain traffic on its port). */
export const NOT_A_TUNNEL = -1;

/**
 * One tunnel header as a parser read it: which tunnel, its identifier, and where and how the
 * packet it carries starts. One instance per decoder, overwritten per packet.
 */
export class TunnelHeader {
  type: number = TunnelType.None;
  /** VNI, GRE key, ERSPAN session or TEID as a signed 32-bit pattern; meaningful when hasId is 1. */
  id = 0;
  hasId = 0;
  /** Index of the inner packet in the capture buffer. */
  innerAt = 0;
  /** ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_FROM_VERSION or INNER_ETHERNET. */
  innerEtherType = 0;

  set(type: number, id: number, hasId: number, innerAt: number, innerEtherType: number): void {
    this.type = type;
    this.id = id;
    this.hasId = hasId;
    this.innerAt = innerAt;
    this.innerEtherType = innerEtherType;
  }
}
