/**
 * DNS messages (RFC 1035 section 4) as flowaudit uses them: the header, the first question, and
 * the answer section's A, AAAA and CNAME records (other types listed by number), with each
 * address mapped to the names that lead to it. Never throws; every loop is bounded by the bytes.
 */
import { addressNames, type DnsAddressNames } from './dns-address-names.js';
import { readName } from './dns-name.js';
import { formatAddress } from '../net/ip-address.js';
import { stopPhrase, type StreamStop } from './tls-stream-stop.js';

export type { DnsAddressNames } from './dns-address-names.js';

export const DnsType = { A: 1, CNAME: 5, AAAA: 28 } as const;
const CLASS_IN = 1;
const HEADER = 12;

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
}

export interface DnsAnswer {
  /** The owner name, as on the wire (see dns-name.ts for the text form). */
  readonly name: string;
  readonly type: number;
  /** Seconds, as on the wire. */
  readonly ttl: number;
  /** A and AAAA (class IN): the address, dotted quad or RFC 5952 text. */
  readonly address?: string;
  /** CNAME: the canonical name. */
  readonly target?: string;
}

export interface DnsMessage {
  readonly kind: 'dns';
  readonly id: number;
  /** QR: a response (true) or a query. */
  readonly response: boolean;
  readonly opcode: number;
  /** RCODE of the header (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...). */
  readonly rcode: number;
  /** TC: the server cut the answer to fit the datagram (the client retries over TCP). */
  readonly tc: boolean;
  /** The first question (real messages carry one). */
  readonly question?: DnsQuestion;
  /** The answer section, in order, as far as it was read. */
  readonly answers: readonly DnsAnswer[];
  /** Each address on the question's CNAME chain with the names leading to it (dns-address-names.ts). */
  readonly addresses: readonly DnsAddressNames[];
  /** Why the sections were not read to their end, when they were not. */
  readonly incomplete?: string;
}

/** Not even a header: fewer than 12 bytes, or a TCP length prefix that cannot hold one. */
export interface DnsFailure {
  readonly kind: 'dns-error';
  readonly reason: string;
}

export type DnsParse = DnsMessage | DnsFailure;

/**
 * Parses one DNS message (a UDP datagram, or one TCP message without its length prefix). `stop`
 * says why the bytes end where they do, for the reason given when they end early.
 */
export function parseDnsMessage(msg: Buffer, stop: StreamStop = 'end'): DnsParse {
  const end = msg.length;
  if (end < HEADER) return { kind: 'dns-error', reason: `${end} bytes, shorter than a DNS header (${stopPhrase(stop)})` };
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  const answers: DnsAnswer[] = [];
  let question: DnsQuestion | undefined;
  let incomplete: string | undefined;
  // With the whole message in hand ('end', 'datagram'), running out of bytes is damage, not a cut.
  const whole = stop === 'end' || stop === 'datagram';
  const cutAt = (what: string): string =>
    whole ? `malformed ${what}: runs past the end of the ${end}-byte message` : `${what} truncated at ${end} bytes (${stopPhrase(stop)})`;

  let pos = HEADER;
  // Each pass consumes at least five bytes (a root name, type and class) or stops.
  for (let i = 0; i < qdcount && incomplete === undefined; i++) {
    const name = readName(msg, pos, end);
    if (!name.ok) {
      incomplete = name.error === 'cut' ? cutAt('question') : `malformed question: ${name.problem}`;
    } else if (name.next + 4 > end) {
      incomplete = cutAt('question');
    } else {
      if (i === 0) question = { name: name.name, type: msg.readUInt16BE(name.next) };
      pos = name.next + 4;
    }
  }
  // Each pass consumes at least eleven bytes (a root name and the fixed fields) or stops.
  const which = (i: number): string => `answer ${i + 1} of ${ancount}`;
  for (let i = 0; i < ancount && incomplete === undefined; i++) {
    const owner = readName(msg, pos, end);
    if (!owner.ok) {
      incomplete = owner.error === 'cut' ? cutAt(which(i)) : `malformed ${which(i)}: ${owner.problem}`;
      break;
    }
    const fixed = owner.next;
    if (fixed + 10 > end) {
      incomplete = cutAt(which(i));
      break;
    }
    const type = msg.readUInt16BE(fixed);
    const klass = msg.readUInt16BE(fixed + 2) & 0x7fff; // mDNS puts cache-flush in the top bit
    const ttl = msg.readUInt32BE(fixed + 4);
    const rdStart = fixed + 10;
    const rdEnd = rdStart + msg.readUInt16BE(fixed + 8);
    if (rdEnd > end) {
      incomplete = cutAt(which(i));
      break;
    }
    const answer = readAnswer(msg, owner.name, type, klass, ttl, rdStart, rdEnd);
    if (typeof answer === 'string') {
      incomplete = `malformed ${which(i)}: ${answer}`;
      break;
    }
    answers.push(answer);
    pos = rdEnd;
  }
  const result: { -readonly [K in keyof DnsMessage]: DnsMessage[K] } = {
    kind: 'dns',
    id: msg.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    rcode: flags & 0xf,
    tc: (flags & 0x0200) !== 0,
    answers,
    addresses: addressNames(question, answers),
  };
  if (question !== undefined) result.question = question;
  if (incomplete !== undefined) result.incomplete = incomplete;
  return result;
}

/** The answer with the record data this parser reads (A, AAAA, CNAME), or a problem with that data. */
function readAnswer(msg: Buffer, name: string, type: number, klass: number, ttl: number, start: number, end: number): DnsAnswer | string {
  const length = end - start;
  if (type === DnsType.A && klass === CLASS_IN) {
    if (length !== 4) return `A record with ${length} bytes of data`;
    return { name, type, ttl, address: `${msg[start]}.${msg[start + 1]}.${msg[start + 2]}.${msg[start + 3]}` };
  }
  if (type === DnsType.AAAA && klass === CLASS_IN) {
    if (length !== 16) return `AAAA record with ${length} bytes of data`;
    return { name, type, ttl, address: ipv6Text(msg, start) };
  }
  if (type === DnsType.CNAME) {
    // The name may point back into the message, but its own bytes must lie in the record data.
    const target = readName(msg, start, end);
    if (!target.ok) return `CNAME target: ${target.problem}`;
    if (target.next !== end) return 'CNAME target does not fill its record data';
    return { name, type, ttl, target: target.name };
  }
  return { name, type, ttl };
}

const words = new Uint32Array(4);

function ipv6Text(msg: Buffer, at: number): string {
  for (let i = 0; i < 4; i++) words[i] = msg.readUInt32BE(at + 4 * i);
  const text = formatAddress(words);
  // formatAddress writes IPv4-mapped addresses as dotted quads (its four-word form maps IPv4 so);
  // an AAAA record holding one is still an IPv6 address.
  return text.includes(':') ? text : `::ffff:${text}`;
}

/**
 * Parses the DNS messages of one TCP direction (RFC 1035 section 4.2.2: each behind a 2-byte
 * length), in order, up to `maxMessages`. A message cut by the end of the bytes is parsed as far
 * as it goes; a length prefix too short for a header ends the list with a failure.
 */
export function parseDnsTcpMessages(stream: Buffer, stop: StreamStop = 'end', maxMessages = 16): DnsParse[] {
  const out: DnsParse[] = [];
  let pos = 0;
  while (out.length < maxMessages && stream.length - pos >= 2) {
    const length = stream.readUInt16BE(pos);
    if (length < HEADER) {
      out.push({ kind: 'dns-error', reason: `TCP length prefix ${length} at byte ${pos} is shorter than a DNS header` });
      break;
    }
    const start = pos + 2;
    const cut = start + length > stream.length;
    out.push(parseDnsMessage(stream.subarray(start, Math.min(start + length, stream.length)), cut ? stop : 'end'));
    pos = start + length;
  }
  if (out.length === 0) out.push({ kind: 'dns-error', reason: `${stream.length} bytes, no complete TCP length prefix (${stopPhrase(stop)})` });
  return out;
}
