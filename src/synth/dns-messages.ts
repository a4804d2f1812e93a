/**
 * DNS messages, built byte by byte: the agent's warm-up sends queries and answers made here, and
 * the tests theirs (test/support/dns-messages.ts re-exports these). Imports nothing from the
 * decoder it feeds. Every call allocates: not for a hot path.
 */
import { u16, u32 } from '../frame-builder.js';

/** A name in uncompressed wire form ("" is the root). */
export function wireName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.').map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.of(0)]);
}

/** The 12-byte header: by default a response (0x8180) with one question and no records. */
export function header(spec: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Buffer {
  return Buffer.concat([u16(spec.id ?? 0x4242), u16(spec.flags ?? 0x8180), u16(spec.qd ?? 1), u16(spec.an ?? 0), u16(spec.ns ?? 0), u16(spec.ar ?? 0)]);
}

export function question(name: Buffer, type = 1): Buffer {
  return Buffer.concat([name, u16(type), u16(1)]);
}

export function rr(owner: Buffer, type: number, ttl: number, rdata: Buffer, klass = 1): Buffer {
  return Buffer.concat([owner, u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

/** A compression pointer to `offset`. */
export const pointer = (offset: number): Buffer => u16(0xc000 | offset);

/** Prefixes a message with its TCP length. */
export const tcpFramed = (msg: Buffer): Buffer => Buffer.concat([u16(msg.length), msg]);
