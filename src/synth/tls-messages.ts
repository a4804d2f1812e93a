/**
 * TLS records and hello messages, built byte by byte: the agent's warm-up sends a ClientHello
 * made here, and the tests their hand-made hellos (test/support/tls-records.ts re-exports these).
 * Like src/frame-builder.ts it imports nothing from the decoder it feeds, so a test states what is
 * on the wire independently of the code under test. Every call allocates: not for a hot path.
 */
import { u16 } from '../frame-builder.js';

/** A record of `type` (22 handshake, 21 alert, 20 change_cipher_spec, 23 application data). */
export function record(type: number, fragment: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.of(type), u16(version), u16(fragment.length), fragment]);
}

/** A handshake message of `type` (1 ClientHello, 2 ServerHello, ...) with its 24-bit length. */
export function handshake(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([header, body]);
}

const vec8 = (b: Buffer): Buffer => Buffer.concat([Buffer.of(b.length), b]);
const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

export function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec16(data)]);
}

export const sniExtension = (name: string): Buffer => extension(0, vec16(Buffer.concat([Buffer.of(0), vec16(Buffer.from(name, 'latin1'))])));
export const alpnExtension = (names: string[]): Buffer => extension(16, vec16(Buffer.concat(names.map((n) => vec8(Buffer.from(n, 'latin1'))))));
export const clientVersionsExtension = (versions: number[]): Buffer => extension(43, vec8(Buffer.concat(versions.map((v) => u16(v)))));
export const serverVersionExtension = (version: number): Buffer => extension(43, u16(version));

/** A ClientHello's body; `extensions: null` leaves out the extensions block (an SSL 3.0-style hello). */
export function clientHelloBody(spec: { version?: number; suites?: number[]; extensions?: Buffer[] | null; sessionId?: Buffer }): Buffer {
  const parts = [u16(spec.version ?? 0x0303), Buffer.alloc(32, 0x11), vec8(spec.sessionId ?? Buffer.alloc(0))];
  parts.push(vec16(Buffer.concat((spec.suites ?? [0x1301, 0xc02f]).map((s) => u16(s)))), vec8(Buffer.of(0)));
  if (spec.extensions !== null) parts.push(vec16(Buffer.concat(spec.extensions ?? [])));
  return Buffer.concat(parts);
}

export function serverHelloBody(spec: { version?: number; suite?: number; random?: Buffer; extensions?: Buffer[] | null }): Buffer {
  const parts = [u16(spec.version ?? 0x0303), spec.random ?? Buffer.alloc(32, 0x22), vec8(Buffer.alloc(0)), u16(spec.suite ?? 0xc02f), Buffer.of(0)];
  if (spec.extensions !== null) parts.push(vec16(Buffer.concat(spec.extensions ?? [])));
  return Buffer.concat(parts);
}
