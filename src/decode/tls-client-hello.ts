import { ExtensionType, readAlpn, readClientSupportedVersions, readServerName, walkExtensions } from './tls-extensions.js';
import { TlsFieldReader } from './tls-field-reader.js';
import { isGrease } from './tls-version.js';

/** What a ClientHello offered. Metadata only: no random, session id or key share is kept. */
export interface TlsClientHello {
  /** legacy_version as on the wire, e.g. 0x0303 (TLS 1.3 clients send 0x0303 too). */
  readonly legacyVersion: number;
  /** supported_versions (extension 43) in the client's order, GREASE values left out. */
  readonly supportedVersions?: readonly number[];
  /** server_name (extension 0), the host_name entry. */
  readonly serverName?: string;
  /** application_layer_protocol_negotiation (extension 16), in the client's order. */
  readonly alpn?: readonly string[];
  /** Cipher suites offered, GREASE values left out. Absent when the capture ends before them. */
  readonly cipherSuiteCount?: number;
  /** Whether a TLS 1.3 suite (0x13xx) is among them. */
  readonly offersTls13Suites?: boolean;
  /**
   * False when the capture cut the hello: the fields after the cut (often the extensions, so the
   * SNI or supported_versions) are missing because they were not seen, not because they were not sent.
   */
  readonly complete: boolean;
  /** The hello came in the SSL 2.0-compatible format (RFC 5246 appendix E.2), which has no extensions. */
  readonly sslv2Format?: true;
}

export interface HelloRead<T> {
  /** Undefined when not even the version field was captured or the message is not a hello at all. */
  readonly hello: T | undefined;
  readonly status: 'complete' | 'truncated' | 'malformed';
  readonly problem?: string;
}

type MutableClientHello = { -readonly [K in keyof TlsClientHello]: TlsClientHello[K] };

/** The longest legacy_session_id (and its echo) a hello may carry. */
export const MAX_SESSION_ID = 32;

/**
 * Parses a ClientHello body (RFC 8446 section 4.1.2; RFC 5246 7.4.1.2), `buf[start..declaredEnd)`
 * of which `buf[start..availableEnd)` was captured, as far as the captured bytes go.
 */
export function parseClientHello(buf: Buffer, start: number, declaredEnd: number, availableEnd: number): HelloRead<TlsClientHello> {
  const r = new TlsFieldReader(buf, start, declaredEnd, availableEnd);
  if (!r.has(2, 'legacy_version')) return { hello: undefined, status: r.status === 'ok' ? 'truncated' : r.status, problem: r.problem };
  const h = newClientHello(r.u16());
  if (!r.has(32, 'random')) return finished(h, r);
  r.skip(32);
  if (!r.has(1, 'legacy_session_id')) return finished(h, r);
  const sessionIdLength = r.u8();
  if (sessionIdLength > MAX_SESSION_ID) r.fail(`legacy_session_id length ${sessionIdLength}`);
  if (!r.has(sessionIdLength, 'legacy_session_id')) return finished(h, r);
  r.skip(sessionIdLength);

  if (!r.has(2, 'cipher_suites')) return finished(h, r);
  const suitesLength = r.u16();
  if (suitesLength === 0 || suitesLength % 2 !== 0) {
    r.fail(`cipher_suites length ${suitesLength}`);
    return finished(h, r);
  }
  // The count and the 1.3 test come from the captured suites even when the list is cut.
  let count = 0;
  let tls13 = false;
  const suitesEnd = Math.min(r.pos + suitesLength, availableEnd, declaredEnd);
  for (let p = r.pos; p + 1 < suitesEnd; p += 2) {
    const suite = (buf[p] << 8) | buf[p + 1];
    if (isGrease(suite)) continue;
    count++;
    if (buf[p] === 0x13) tls13 = true;
  }
  h.cipherSuiteCount = count;
  h.offersTls13Suites = tls13;
  if (!r.has(suitesLength, 'cipher_suites')) return finished(h, r);
  r.skip(suitesLength);

  if (!r.has(1, 'legacy_compression_methods')) return finished(h, r);
  const compressionLength = r.u8();
  if (!r.has(compressionLength, 'legacy_compression_methods')) return finished(h, r);
  r.skip(compressionLength);

  // Hellos before TLS 1.2 may end here, without extensions.
  if (r.declaredLeft === 0) return finished(h, r);
  walkExtensions(r, readClientExtension, h);
  return finished(h, r);
}

/**
 * A hello with only its version read. Every field from the start, in one order: one hidden class
 * for all hellos of both readers (this and tls13-plain-handshake.ts), no properties added later
 * (each addition moved the object to another shape and grew its property store).
 */
export function newClientHello(legacyVersion: number): MutableClientHello {
  return {
    legacyVersion,
    supportedVersions: undefined,
    serverName: undefined,
    alpn: undefined,
    cipherSuiteCount: undefined,
    offersTls13Suites: undefined,
    complete: false,
    sslv2Format: undefined,
  };
}

/**
 * A hello as read so far, marked complete when nothing was missing. (This and the extension
 * readers are module-level functions, not closures: none is made per hello.)
 */
export function finished<T extends { complete: boolean }>(h: T, r: TlsFieldReader): HelloRead<T> {
  h.complete = r.status === 'ok';
  return { hello: h, status: r.status === 'ok' ? 'complete' : r.status, problem: r.problem };
}

function readClientExtension(h: MutableClientHello, buf: Buffer, type: number, at: number, end: number): void {
  if (type === ExtensionType.ServerName) {
    const name = readServerName(buf, at, end);
    if (name !== undefined) h.serverName = name;
  } else if (type === ExtensionType.Alpn) {
    const alpn = readAlpn(buf, at, end);
    if (alpn !== undefined) h.alpn = alpn;
  } else if (type === ExtensionType.SupportedVersions) {
    const versions = readClientSupportedVersions(buf, at, end);
    if (versions !== undefined) h.supportedVersions = versions;
  }
}
