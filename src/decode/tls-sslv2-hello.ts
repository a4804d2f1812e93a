import type { HelloRead, TlsClientHello } from './tls-client-hello.js';
import { isGrease } from './tls-version.js';

const HEADER = 2;
const FIXED = 9;
const CLIENT_HELLO = 1;
/** The fixed fields, one cipher spec and the shortest challenge. */
const SMALLEST_HELLO = FIXED + 3 + 16;

/**
 * True when `bytes` start like an SSL 2.0-format ClientHello: a 2-byte header with the high bit
 * set and a length that can hold one, msg_type 1, and version 2.0 or 3.x. Enough to tell it from
 * plaintext before parsing (a high bit and a 1 alone are common in binary protocols).
 */
export function startsLikeSslv2ClientHello(bytes: Buffer): boolean {
  if (bytes.length < 5 || (bytes[0] & 0x80) === 0 || bytes[2] !== CLIENT_HELLO) return false;
  if ((((bytes[0] & 0x7f) << 8) | bytes[1]) < SMALLEST_HELLO) return false;
  return (bytes[3] === 0 && bytes[4] === 2) || (bytes[3] === 3 && bytes[4] <= 4);
}

/**
 * The SSL 2.0-compatible ClientHello (RFC 5246 appendix E.2) that old clients send to reach
 * TLS servers: a 2-byte header with the high bit set instead of a TLS record. It is reported as a
 * ClientHello with `sslv2Format` and no extensions (so no SNI or ALPN); the version then comes
 * from the server's ServerHello as for any other hello, so such flows are judged like the rest.
 *
 * Returns undefined when `buf` does not start with one; otherwise the hello and the offset where
 * the client's TLS records (its second flight) begin.
 */
export function parseSslv2ClientHello(buf: Buffer): { read: HelloRead<TlsClientHello>; next: number } | undefined {
  if (buf.length < 3 || (buf[0] & 0x80) === 0 || buf[2] !== CLIENT_HELLO) return undefined;
  const length = ((buf[0] & 0x7f) << 8) | buf[1];
  const declaredEnd = HEADER + length;
  if (buf.length < HEADER + FIXED) {
    return { read: { hello: undefined, status: 'truncated' }, next: declaredEnd };
  }
  const legacyVersion = buf.readUInt16BE(3);
  const specsLength = buf.readUInt16BE(5);
  const sessionIdLength = buf.readUInt16BE(7);
  const challengeLength = buf.readUInt16BE(9);
  const problem =
    legacyVersion !== 0x0002 && buf[3] !== 3
      ? `SSLv2 hello version ${legacyVersion}`
      : specsLength === 0 || specsLength % 3 !== 0
        ? `SSLv2 cipher_spec_length ${specsLength}`
        : (sessionIdLength !== 0 && sessionIdLength !== 16) || challengeLength < 16 || challengeLength > 32
          ? 'SSLv2 session id or challenge length out of range'
          : FIXED + specsLength + sessionIdLength + challengeLength !== length
            ? 'SSLv2 hello lengths do not add up'
            : undefined;
  if (problem !== undefined) return { read: { hello: undefined, status: 'malformed', problem }, next: declaredEnd };
  let count = 0;
  let tls13 = false;
  const specsStart = HEADER + FIXED;
  const specsEnd = Math.min(specsStart + specsLength, buf.length);
  for (let p = specsStart; p + 2 < specsEnd; p += 3) {
    // A TLS suite is carried as {0x00, hi, lo}; the others are SSL 2.0 kinds.
    if (buf[p] === 0 && isGrease(buf.readUInt16BE(p + 1))) continue;
    count++;
    if (buf[p] === 0 && buf[p + 1] === 0x13) tls13 = true;
  }
  const complete = buf.length >= declaredEnd;
  // The field order of parseClientHello's hellos: one hidden class for both.
  const hello: TlsClientHello = {
    legacyVersion,
    supportedVersions: undefined,
    serverName: undefined,
    alpn: undefined,
    cipherSuiteCount: count,
    offersTls13Suites: tls13,
    complete,
    sslv2Format: true,
  };
  return { read: { hello, status: complete ? 'complete' : 'truncated' }, next: declaredEnd };
}
