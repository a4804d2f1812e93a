/** IANA protocol numbers the decoder and flow table treat specially. */
export const IpProtocol = {
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Icmpv6: 58,
  Sctp: 132,
} as const;

export function ipProtocolName(protocol: number): string {
  switch (protocol) {
    case IpProtocol.Tcp: return 'tcp';
    case IpProtocol.Udp: return 'udp';
    case IpProtocol.Icmp: return 'icmp';
    case IpProtocol.Icmpv6: return 'icmpv6';
    case IpProtocol.Sctp: return 'sctp';
    default: return `ip-proto-${protocol}`;
  }
}
