import * as crypto from 'node:crypto';
import { icmpCounterpart } from '../decode/icmp-port-equivalents.js';
import { isIpv4Mapped, parseAddress } from '../net/ip-address.js';
import { IpProtocol } from '../net/ip-protocol.js';

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

/** Protocols whose flows hash with their ports (ICMP: type and counter-type or code, as Zeek maps them). */
const WITH_PORTS: ReadonlySet<number> = new Set([1, 6, 17, 58, 132]);

/**
 * Base64 SHA-1 of `data`. The one-shot crypto.hash (Node 20.12 and later) takes a quarter of a
 * createHash object's time, which listing flows pays once a flow: picked once, at load.
 */
const sha1Base64: (data: Buffer) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha1', data, 'base64') : (data) => crypto.createHash('sha1').update(data).digest('base64');

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec), as Zeek and Suricata write
 * it, so flowaudit records join theirs: base64 SHA-1 over seed, both addresses, protocol, a pad
 * byte and, for TCP, UDP, SCTP and ICMP, both ports; the endpoints ordered so both directions hash
 * alike, unless the flow is one-way (an ICMP message without a counterpart). Other protocols hash
 * without ports, as the spec says. For ICMP pass the ports `icmpPorts` gives.
 */
export function communityId(protocol: string, aAddress: string, aPort: number, bAddress: string, bPort: number, seed = 0, oneWay = false): string {
  const a = addressBytes(aAddress);
  const b = addressBytes(bAddress);
  const proto = PROTOCOL_NUMBERS[protocol] ?? Number(/^ip-proto-(\d+)$/.exec(protocol)?.[1] ?? 0);
  const order = Buffer.compare(a, b);
  const aFirst = oneWay || order < 0 || (order === 0 && aPort <= bPort);
  const [src, srcPort, dst, dstPort] = aFirst ? [a, aPort, b, bPort] : [b, bPort, a, aPort];
  const head = Buffer.alloc(2);
  head.writeUInt16BE(seed, 0);
  const tail = Buffer.alloc(WITH_PORTS.has(proto) ? 6 : 2);
  tail[0] = proto;
  tail[1] = 0;
  if (tail.length === 6) {
    tail.writeUInt16BE(srcPort, 2);
    tail.writeUInt16BE(dstPort, 4);
  }
  return `1:${sha1Base64(Buffer.concat([head, src, dst, tail]))}`;
}

/**
 * The spec's port equivalents of an ICMP message: its type, and the counterpart type for a
 * request or reply (two-way, ordered like ports), else its code (one-way, sender first).
 */
export function icmpPorts(protocol: 'icmp' | 'icmpv6', type: number, code: number): { sourcePort: number; destinationPort: number; oneWay: boolean } {
  const counterpart = icmpCounterpart(protocol === 'icmp' ? IpProtocol.Icmp : IpProtocol.Icmpv6, type);
  return counterpart < 0 ? { sourcePort: type, destinationPort: code, oneWay: true } : { sourcePort: type, destinationPort: counterpart, oneWay: false };
}

/** What a flow's Community ID is computed from: an audited flow, or a flow record with its protocol named. */
export interface CommunityIdFlow {
  readonly protocol: string;
  readonly client: { readonly address: string; readonly port: number };
  readonly server: { readonly address: string; readonly port: number };
  readonly icmp?: { readonly type: number; readonly code: number };
}

/** ICMP flows hash with their first message's type and code, as Zeek does; others with their ports. */
export function flowCommunityId(f: CommunityIdFlow, seed = 0): string {
  if (f.icmp !== undefined && (f.protocol === 'icmp' || f.protocol === 'icmpv6')) {
    const { sourcePort, destinationPort, oneWay } = icmpPorts(f.protocol, f.icmp.type, f.icmp.code);
    return communityId(f.protocol, f.client.address, sourcePort, f.server.address, destinationPort, seed, oneWay);
  }
  return communityId(f.protocol, f.client.address, f.client.port, f.server.address, f.server.port, seed);
}

function addressBytes(text: string): Buffer {
  const words = parseAddress(text);
  if (words === null) throw new Error(`not an address: ${text}`);
  const v4 = isIpv4Mapped(words);
  const out = Buffer.alloc(v4 ? 4 : 16);
  if (v4) out.writeUInt32BE(words[3] >>> 0, 0);
  else for (let i = 0; i < 4; i++) out.writeUInt32BE(words[i] >>> 0, 4 * i);
  return out;
}
