import { IpProtocol } from '../net/ip-protocol.js';

/**
 * ICMP messages seen as ports, the way Zeek keys ICMP "connections" and the Community ID spec
 * hashes them (corelight/community-id-spec; pycommunityid's icmp.py and icmp6.py): a request or
 * reply is the port pair (its type, its counterpart's type), so both halves of an exchange are one
 * flow; any other message is (type, code) and one-way. Kept in typed arrays: the decoder looks a
 * counterpart up for every ICMP packet.
 */
const ONE_WAY = -1;

function counterparts(pairs: readonly (readonly [number, number])[]): Int16Array {
  const table = new Int16Array(256).fill(ONE_WAY);
  for (const [a, b] of pairs) {
    table[a] = b;
    table[b] = a;
  }
  return table;
}

/** Echo, timestamp, information, router solicitation/advertisement, address mask. */
const ICMPV4 = counterparts([[8, 0], [13, 14], [15, 16], [10, 9], [17, 18]]);
/** Echo, MLD query/report, router and neighbour discovery, node information, home agent discovery. */
const ICMPV6 = counterparts([[128, 129], [130, 131], [133, 134], [135, 136], [139, 140], [144, 145]]);

/** The type of the message answering `type` (ICMP or ICMPv6 by `protocol`), or -1 for a one-way message. */
export function icmpCounterpart(protocol: number, type: number): number {
  return (protocol === IpProtocol.Icmpv6 ? ICMPV6 : ICMPV4)[type & 0xff];
}

/** The destination port of a message: its counterpart type, or for a one-way message its code. */
export function icmpDestinationPort(protocol: number, type: number, code: number): number {
  const counterpart = icmpCounterpart(protocol, type);
  return counterpart === ONE_WAY ? code : counterpart;
}
