/**
 * TLS framing for tests, written independently of src/decode: split real captured bytes into
 * records and handshake messages, and frame messages into records again in other ways (one record
 * per message, all in one, fixed-size pieces), plus builders for hand-made hellos.
 */

export interface TlsRecord {
  readonly type: number;
  readonly version: number;
  readonly fragment: Buffer;
}

/** The whole records at the start of `bytes` (a cut last record is left out). */
export function splitRecords(bytes: Buffer): TlsRecord[] {
  const records: TlsRecord[] = [];
  let p = 0;
  while (p + 5 <= bytes.length) {
    const length = bytes.readUInt16BE(p + 3);
    if (p + 5 + length > bytes.length) break;
    records.push({ type: bytes[p], version: bytes.readUInt16BE(p + 1), fragment: bytes.subarray(p + 5, p + 5 + length) });
    p += 5 + length;
  }
  return records;
}

/** The handshake messages (header included) of the leading handshake records. */
export function leadingHandshakeMessages(bytes: Buffer): Buffer[] {
  const fragments: Buffer[] = [];
  for (const r of splitRecords(bytes)) {
    if (r.type !== 22) break;
    fragments.push(r.fragment);
  }
  const stream = Buffer.concat(fragments);
  const messages: Buffer[] = [];
  let p = 0;
  while (p + 4 <= stream.length) {
    const end = p + 4 + stream.readUIntBE(p + 1, 3);
    if (end > stream.length) break;
    messages.push(stream.subarray(p, end));
    p = end;
  }
  return messages;
}

/** The bytes after the leading handshake records (ChangeCipherSpec onwards). */
export function afterHandshakeRecords(bytes: Buffer): Buffer {
  let p = 0;
  for (const r of splitRecords(bytes)) {
    if (r.type !== 22) break;
    p += 5 + r.fragment.length;
  }
  return bytes.subarray(p);
}

export function record(type: number, fragment: Buffer, version = 0x0303): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(fragment.length, 3);
  return Buffer.concat([header, fragment]);
}

/** `stream` framed as handshake records whose fragments have the given sizes (the last size repeats). */
export function framed(stream: Buffer, sizes: readonly number[], version = 0x0303): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  for (let i = 0; p < stream.length; i++) {
    const size = Math.max(1, sizes[Math.min(i, sizes.length - 1)]);
    out.push(record(22, stream.subarray(p, p + size), version));
    p += size;
  }
  return Buffer.concat(out);
}

export function handshake(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([header, body]);
}

const u16 = (v: number): Buffer => Buffer.from([v >> 8, v & 0xff]);
const vec8 = (b: Buffer): Buffer => Buffer.concat([Buffer.of(b.length), b]);
const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

export function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec16(data)]);
}

export const sniExtension = (name: string): Buffer => extension(0, vec16(Buffer.concat([Buffer.of(0), vec16(Buffer.from(name, 'latin1'))])));
export const alpnExtension = (names: string[]): Buffer => extension(16, vec16(Buffer.concat(names.map((n) => vec8(Buffer.from(n, 'latin1'))))));
export const clientVersionsExtension = (versions: number[]): Buffer => extension(43, vec8(Buffer.concat(versions.map(u16))));
export const serverVersionExtension = (version: number): Buffer => extension(43, u16(version));

export function clientHelloBody(spec: { version?: number; suites?: number[]; extensions?: Buffer[] | null; sessionId?: Buffer }): Buffer {
  const parts = [u16(spec.version ?? 0x0303), Buffer.alloc(32, 0x11), vec8(spec.sessionId ?? Buffer.alloc(0))];
  parts.push(vec16(Buffer.concat((spec.suites ?? [0x1301, 0xc02f]).map(u16))), vec8(Buffer.of(0)));
  if (spec.extensions !== null) parts.push(vec16(Buffer.concat(spec.extensions ?? [])));
  return Buffer.concat(parts);
}

export function serverHelloBody(spec: { version?: number; suite?: number; random?: Buffer; extensions?: Buffer[] | null }): Buffer {
  const parts = [u16(spec.version ?? 0x0303), spec.random ?? Buffer.alloc(32, 0x22), vec8(Buffer.alloc(0)), u16(spec.suite ?? 0xc02f), Buffer.of(0)];
  if (spec.extensions !== null) parts.push(vec16(Buffer.concat(spec.extensions ?? [])));
  return Buffer.concat(parts);
}
