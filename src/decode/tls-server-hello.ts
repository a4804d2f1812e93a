import { finished, type HelloRead, MAX_SESSION_ID } from './tls-client-hello.js';
import { ExtensionType, readAlpn, readServerSupportedVersion, walkExtensions } from './tls-extensions.js';
import { TlsFieldReader } from './tls-field-reader.js';

/** What a ServerHello selected. Metadata only. */
export interface TlsServerHello {
  /** legacy_version as on the wire (0x0303 for TLS 1.2 and 1.3; the draft, 0x7f10 for draft 16, in TLS 1.3 drafts up to 21). */
  readonly legacyVersion: number;
  /** supported_versions (extension 43): the version a TLS 1.3 server selected. */
  readonly selectedVersion?: number;
  readonly cipherSuite?: number;
  /** The protocol the server selected by ALPN; TLS 1.3 sends it encrypted, so only <= 1.2 shows it. */
  readonly alpn?: string;
  /** This ServerHello is a TLS 1.3 HelloRetryRequest (its random is the fixed RFC 8446 value). */
  readonly helloRetryRequest?: true;
  /** False when the capture cut the hello. */
  readonly complete: boolean;
}

type MutableServerHello = { -readonly [K in keyof TlsServerHello]: TlsServerHello[K] };

const LAST_EARLY_DRAFT = 0x7f15;

/** SHA-256("HelloRetryRequest"), the random of every HelloRetryRequest (RFC 8446 section 4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** Parses a ServerHello body, `buf[start..declaredEnd)` of which `buf[start..availableEnd)` was captured. */
export function parseServerHello(buf: Buffer, start: number, declaredEnd: number, availableEnd: number): HelloRead<TlsServerHello> {
  const r = new TlsFieldReader(buf, start, declaredEnd, availableEnd);
  if (!r.has(2, 'legacy_version')) return { hello: undefined, status: r.status === 'ok' ? 'truncated' : r.status, problem: r.problem };
  // Every field from the start: one hidden class (see parseClientHello).
  const h: MutableServerHello = { legacyVersion: r.u16(), selectedVersion: undefined, cipherSuite: undefined, alpn: undefined, helloRetryRequest: undefined, complete: false };
  if (!r.has(32, 'random')) return finished(h, r);
  if (isHelloRetryRandom(buf, r.pos)) h.helloRetryRequest = true;
  r.skip(32);
  if (isEarlyTls13Draft(h.legacyVersion)) {
    // Drafts up to 21 put the selected version in the version field and send neither a session
    // id echo nor a compression method: version, random, cipher_suite, extensions.
    if (!r.has(2, 'cipher_suite')) return finished(h, r);
    h.cipherSuite = r.u16();
    return readExtensions(h, r);
  }
  if (!r.has(1, 'legacy_session_id_echo')) return finished(h, r);
  const sessionIdLength = r.u8();
  if (sessionIdLength > MAX_SESSION_ID) r.fail(`legacy_session_id_echo length ${sessionIdLength}`);
  if (!r.has(sessionIdLength, 'legacy_session_id_echo')) return finished(h, r);
  r.skip(sessionIdLength);
  if (!r.has(2, 'cipher_suite')) return finished(h, r);
  h.cipherSuite = r.u16();
  if (!r.has(1, 'legacy_compression_method')) return finished(h, r);
  r.skip(1);
  return readExtensions(h, r);
}

function readExtensions(h: MutableServerHello, r: TlsFieldReader): HelloRead<TlsServerHello> {
  if (r.declaredLeft === 0) return finished(h, r);
  walkExtensions(r, readServerExtension, h);
  return finished(h, r);
}

/**
 * TLS 1.3 drafts 0x7f00 | n up to draft 21 (0x7f15), whose ServerHello had the layout above; from
 * draft 22 on it has the final one (legacy_version 0x0303 and supported_versions).
 */
export function isEarlyTls13Draft(version: number): boolean {
  return version >= 0x7f00 && version <= LAST_EARLY_DRAFT;
}

function readServerExtension(h: MutableServerHello, buf: Buffer, type: number, at: number, end: number): void {
  if (type === ExtensionType.SupportedVersions) {
    const v = readServerSupportedVersion(buf, at, end);
    if (v !== undefined) h.selectedVersion = v;
  } else if (type === ExtensionType.Alpn) {
    const names = readAlpn(buf, at, end);
    if (names !== undefined && names.length === 1) h.alpn = names[0];
  }
}

/** The random of a HelloRetryRequest, compared byte by byte (Buffer#compare with offsets costs more per call). */
export function isHelloRetryRandom(buf: Buffer, at: number): boolean {
  for (let i = 0; i < 32; i++) if (buf[at + i] !== HRR_RANDOM[i]) return false;
  return true;
}
