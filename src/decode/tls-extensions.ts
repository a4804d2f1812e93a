import { BytesInterner } from './bytes-interner.js';
import { type TlsFieldReader, wireText } from './tls-field-reader.js';
import { isGrease } from './tls-version.js';

/** Extension types read here (IANA TLS ExtensionType values). */
export const ExtensionType = { ServerName: 0, Alpn: 16, SupportedVersions: 43 } as const;

const HOST_NAME = 0;
/** Bound on ALPN names kept from one hello (real clients offer two or three). */
const MAX_ALPN = 16;

/**
 * Each reader takes one extension's data, `buf[start..end)`, wholly captured, and returns
 * undefined when the data does not parse: a damaged extension is left out, not guessed at. Names
 * and lists are interned: the same bytes give the same (frozen) string or array.
 */
const hostNames = new BytesInterner(wireText);
const alpnLists = new BytesInterner(decodeAlpn);
const versionLists = new BytesInterner(decodeClientSupportedVersions);

/** server_name (RFC 6066 section 3): the first host_name entry. */
export function readServerName(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start < 2) return undefined;
  const listEnd = start + 2 + buf.readUInt16BE(start);
  if (listEnd > end) return undefined;
  let p = start + 2;
  while (listEnd - p >= 3) {
    const type = buf[p];
    const length = buf.readUInt16BE(p + 1);
    p += 3;
    if (p + length > listEnd) return undefined;
    if (type === HOST_NAME) return length === 0 ? undefined : hostNames.get(buf, p, p + length);
    p += length;
  }
  return undefined;
}

/** application_layer_protocol_negotiation (RFC 7301): the protocol names, in order. */
export function readAlpn(buf: Buffer, start: number, end: number): readonly string[] | undefined {
  return alpnLists.get(buf, start, end);
}

function decodeAlpn(buf: Buffer, start: number, end: number): string[] | undefined {
  if (end - start < 2) return undefined;
  const listEnd = start + 2 + buf.readUInt16BE(start);
  if (listEnd > end) return undefined;
  const names: string[] = [];
  let p = start + 2;
  while (p < listEnd && names.length < MAX_ALPN) {
    const length = buf[p];
    p++;
    if (length === 0 || p + length > listEnd) return undefined;
    names.push(wireText(buf, p, p + length));
    p += length;
  }
  return names;
}

/** supported_versions in a ClientHello (RFC 8446 section 4.2.1): the list, GREASE left out. */
export function readClientSupportedVersions(buf: Buffer, start: number, end: number): readonly number[] | undefined {
  return versionLists.get(buf, start, end);
}

function decodeClientSupportedVersions(buf: Buffer, start: number, end: number): number[] | undefined {
  if (end - start < 1) return undefined;
  const length = buf[start];
  if (length % 2 !== 0 || start + 1 + length > end) return undefined;
  const versions: number[] = [];
  for (let p = start + 1; p < start + 1 + length; p += 2) {
    const v = buf.readUInt16BE(p);
    if (!isGrease(v)) versions.push(v);
  }
  return versions;
}

/** supported_versions in a ServerHello: the one selected version. */
export function readServerSupportedVersion(buf: Buffer, start: number, end: number): number | undefined {
  return end - start === 2 ? buf.readUInt16BE(start) : undefined;
}

/**
 * Walks a hello's extensions block at the reader's position, calling `visit(into, ...)` for each
 * extension whose data was wholly captured, in order, and stopping at the first one cut by the
 * capture (the reader then says `truncated`) or not fitting its block (`malformed`). Each pass
 * consumes at least the 4-byte extension header, so the walk is bounded by the block.
 */
export function walkExtensions<T>(r: TlsFieldReader, visit: (into: T, buf: Buffer, type: number, start: number, end: number) => void, into: T): void {
  if (!r.has(2, 'extensions')) return;
  const extensionsLength = r.u16();
  if (extensionsLength > r.declaredLeft) {
    r.fail(`extensions length ${extensionsLength} runs past the end of the message`);
    return;
  }
  const end = r.pos + extensionsLength;
  while (r.pos < end) {
    if (end - r.pos < 4) {
      r.fail('extension header runs past the extensions block');
      return;
    }
    if (!r.has(4, 'extension header')) return;
    const type = r.u16();
    const length = r.u16();
    if (r.pos + length > end) {
      r.fail(`extension ${type} runs past the extensions block`);
      return;
    }
    // Only the capture can cut it here (the block fits the message): a constant field name, not
    // a string built for every extension of every hello.
    if (!r.has(length, 'extension data')) return;
    const at = r.pos;
    r.skip(length);
    visit(into, r.buf, type, at, at + length);
  }
}
