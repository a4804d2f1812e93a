/**
 * TLS framing for tests, written independently of src/decode: split real captured bytes into
 * records and handshake messages, and frame messages into records again in other ways (one record
 * per message, all in one, fixed-size pieces). The builders for hand-made hellos are the ones the
 * agent's warm-up uses (src/synth/tls-messages.ts), re-exported here.
 */
import { record } from '../../src/synth/tls-messages.js';

export {
  alpnExtension,
  clientHelloBody,
  clientVersionsExtension,
  extension,
  handshake,
  record,
  serverHelloBody,
  serverVersionExtension,
  sniExtension,
} from '../../src/synth/tls-messages.js';

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
