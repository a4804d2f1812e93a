/** EtherType values the link-layer decoders read or produce (IEEE registry). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_MPLS_UNICAST = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_DISCOVERY = 0x8863;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** 802.1ah provider backbone bridging: the I-TAG, then the customer's Ethernet header. */
export const ETHERTYPE_PBB_ITAG = 0x88e7;
export const ETHERTYPE_CISCO_FABRICPATH = 0x8903;
export const ETHERTYPE_CISCO_VNTAG = 0x8926;
/** Up to this value the field is an 802.3 length and an LLC header follows. */
export const ETHERNET_MAX_LENGTH = 1500;
/** Sentinel etherType meaning "look at the IP version nibble". */
export const ETHERTYPE_FROM_VERSION = -1;
