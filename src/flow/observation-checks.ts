import { isCaptureTime } from '../capture/capture-time.js';
import type { FlowObservation, ObservedDirection, ObservedFlowKey, PayloadChunk } from './flow-observation.js';

/** The most a counter, offset or length may be: what the slot's words and doubles hold exactly. */
const MAX_COUNT = 2 ** 32 - 1;
const MAX_OFFSET = 2 ** 31 - 1;
/** All SEEN_* bits. */
const SEEN_BITS = 15;

/**
 * Whether an observation's fields are in range: what the loader's stream (a separate process, a
 * separate language) may get wrong without the table taking nonsense in. The table counts and
 * drops what fails.
 */
export function isValidObservation(o: FlowObservation): boolean {
  return (
    isValidKey(o) &&
    isTime(o.firstSeen) &&
    isTime(o.lastSeen) &&
    o.firstSeen <= o.lastSeen &&
    isValidDirection(o.aToB) &&
    isValidDirection(o.bToA) &&
    (o.synFrom === undefined || o.synFrom === 'a' || o.synFrom === 'b') &&
    (o.icmp === undefined || (isInteger(o.icmp.type, 255) && isInteger(o.icmp.code, 255))) &&
    (o.laterFragments === undefined || isInteger(o.laterFragments, MAX_COUNT))
  );
}

export function isValidChunk(c: PayloadChunk): boolean {
  return (
    isValidKey(c) &&
    typeof c.fromB === 'boolean' &&
    isInteger(c.offset, MAX_OFFSET) &&
    Buffer.isBuffer(c.bytes) &&
    isInteger(c.length, MAX_OFFSET) &&
    c.length >= c.bytes.length &&
    isTime(c.time)
  );
}

function isValidKey(k: ObservedFlowKey): boolean {
  return (
    (k.ipVersion === 4 || k.ipVersion === 6) &&
    isInteger(k.protocol, 255) &&
    isAddress(k.addressA, k.ipVersion) &&
    isAddress(k.addressB, k.ipVersion) &&
    isInteger(k.portA, 0xffff) &&
    isInteger(k.portB, 0xffff)
  );
}

function isValidDirection(d: ObservedDirection): boolean {
  return d !== undefined && isInteger(d.packets, MAX_COUNT) && isInteger(d.bytes, Number.MAX_SAFE_INTEGER) && isInteger(d.tcpFlags, SEEN_BITS);
}

/** 16 bytes; IPv4 as ::ffff:a.b.c.d, so both ways in key a flow alike. */
function isAddress(a: Uint8Array, ipVersion: number): boolean {
  if (!(a instanceof Uint8Array) || a.length !== 16) return false;
  if (ipVersion === 6) return true;
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

function isTime(t: number): boolean {
  return typeof t === 'number' && isCaptureTime(t);
}

function isInteger(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}
