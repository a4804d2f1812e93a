import * as crypto from 'node:crypto';
import { icmpCounterpart } from '../decode/icmp-port-equivalents.js';
import { isIpv4Mapped, parseAddressInto } from '../net/ip-address.js';
import { IpProtocol } from '../net/ip-protocol.js';

/** A Map, not an object: a keyed load that meets a second name deoptimises the function it sits in. */
const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['icmp', 1],
  ['tcp', 6],
  ['udp', 17],
  ['icmpv6', 58],
  ['sctp', 132],
]);

/** Protocols whose flows hash with their ports (ICMP: type and counter-type or code, as Zeek maps them). */
const WITH_PORTS: ReadonlySet<number> = new Set([1, 6, 17, 58, 132]);

/**
 * Base64 SHA-1 of `data`. The one-shot crypto.hash (Node 20.12 and later) takes a quarter of a
 * createHash object's time, which listing flows pays once a flow: picked once, at load. A SHA-1
 * in JavaScript over one reused block was tried: more instructions a hash, as many a run
 * (bench/RESULTS.md, session 8).
 */
const sha1Base64: (data: Buffer) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha1', data, 'base64') : (data) => crypto.createHash('sha1').update(data).digest('base64');

/** The longest tuple: seed 2, addresses 2 x 16, protocol and pad 2, ports 4. */
const MAX_TUPLE_BYTES = 40;
/** The hashed tuple, built in place once a flow. */
const TUPLE = Buffer.alloc(MAX_TUPLE_BYTES);
/** TUPLE's first n bytes for each n, made once: a view a hash would otherwise cost. */
const TUPLE_VIEWS: readonly Buffer[] = Array.from({ length: MAX_TUPLE_BYTES + 1 }, (_, n) => TUPLE.subarray(0, n));

/** Each end's address as four words, parsed in place once a flow. */
const A_WORDS = new Uint32Array(4);
const B_WORDS = new Uint32Array(4);

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec), as Zeek and Suricata write
 * it, so flowaudit records join theirs: base64 SHA-1 over seed, both addresses, protocol, a pad
 * byte and, for TCP, UDP, SCTP and ICMP, both ports; the endpoints ordered so both directions hash
 * alike, unless the flow is one-way (an ICMP message without a counterpart). Other protocols hash
 * without ports, as the spec says. For ICMP pass the ports `icmpPorts` gives.
 */
export function communityId(protocol: string, aAddress: string, aPort: number, bAddress: string, bPort: number, seed = 0, oneWay = false): string {
  const a = addressWords(aAddress, A_WORDS);
  const b = addressWords(bAddress, B_WORDS);
  // An IPv4 address hashes as its 4 bytes: its last word alone.
  const aFrom = isIpv4Mapped(a) ? 3 : 0;
  const bFrom = isIpv4Mapped(b) ? 3 : 0;
  const proto = PROTOCOL_NUMBERS.get(protocol) ?? Number(/^ip-proto-(\d+)$/.exec(protocol)?.[1] ?? 0);
  const order = compareWords(a, aFrom, b, bFrom);
  const aFirst = oneWay || order < 0 || (order === 0 && aPort <= bPort);
  putUint16(0, seed);
  let at = aFirst ? putAddress(putAddress(2, a, aFrom), b, bFrom) : putAddress(putAddress(2, b, bFrom), a, aFrom);
  TUPLE[at++] = proto;
  TUPLE[at++] = 0;
  if (WITH_PORTS.has(proto)) {
    at = putUint16(at, aFirst ? aPort : bPort);
    at = putUint16(at, aFirst ? bPort : aPort);
  }
  return `1:${sha1Base64(TUPLE_VIEWS[at])}`;
}

/**
 * The spec's port equivalents of an ICMP message: its type, and the counterpart type for a
 * request or reply (two-way, ordered like ports), else its code (one-way, sender first).
 */
export function icmpPorts(protocol: 'icmp' | 'icmpv6', type: number, code: number): { sourcePort: number; destinationPort: number; oneWay: boolean } {
  const counterpart = icmpCounterpart(protocol === 'icmp' ? IpProtocol.Icmp : IpProtocol.Icmpv6, type);
  return counterpart < 0 ? { sourcePort: type, destinationPort: code, oneWay: true } : { sourcePort: type, destinationPort: counterpart, oneWay: false };
}

/** What a flow's Community ID is computed from beside its protocol's name: its ends and, for ICMP, its first message. */
export interface CommunityIdFlow {
  readonly client: { readonly address: string; readonly port: number };
  readonly server: { readonly address: string; readonly port: number };
  readonly icmp?: { readonly type: number; readonly code: number };
}

/** ICMP flows hash with their first message's type and code, as Zeek does; others with their ports. */
export function flowCommunityId(protocol: string, f: CommunityIdFlow, seed = 0): string {
  if (f.icmp !== undefined && (protocol === 'icmp' || protocol === 'icmpv6')) {
    const { sourcePort, destinationPort, oneWay } = icmpPorts(protocol, f.icmp.type, f.icmp.code);
    return communityId(protocol, f.client.address, sourcePort, f.server.address, destinationPort, seed, oneWay);
  }
  return communityId(protocol, f.client.address, f.client.port, f.server.address, f.server.port, seed);
}

function addressWords(text: string, words: Uint32Array): Uint32Array {
  if (!parseAddressInto(text, words)) throw new Error(`not an address: ${text}`);
  return words;
}

/**
 * Writes the address's words from `from` on to TUPLE at `at`, big-endian; returns where the next
 * byte goes. Byte stores rather than Buffer's writeUInt32BE, whose checks of value and offset
 * cost more than the stores (the offsets here are in bounds by construction).
 */
function putAddress(at: number, words: Uint32Array, from: number): number {
  for (let i = from; i < 4; i++) {
    const w = words[i];
    TUPLE[at] = w >>> 24;
    TUPLE[at + 1] = w >>> 16;
    TUPLE[at + 2] = w >>> 8;
    TUPLE[at + 3] = w;
    at += 4;
  }
  return at;
}

/** Writes a 16-bit value to TUPLE at `at`, big-endian; returns where the next byte goes. */
function putUint16(at: number, value: number): number {
  TUPLE[at] = value >>> 8;
  TUPLE[at + 1] = value;
  return at + 2;
}

/** Buffer.compare's order of the addresses' bytes: word by word (unsigned, big-endian), then the shorter first. */
function compareWords(a: Uint32Array, aFrom: number, b: Uint32Array, bFrom: number): number {
  const common = Math.min(4 - aFrom, 4 - bFrom);
  for (let i = 0; i < common; i++) if (a[aFrom + i] !== b[bFrom + i]) return a[aFrom + i] < b[bFrom + i] ? -1 : 1;
  return bFrom - aFrom;
}
