import type { TlsAlert } from './tls-alert.js';
import { parseClientHello, type HelloRead, type TlsClientHello } from './tls-client-hello.js';
import { handshakeTypeName, HandshakeType, isComplete, readHandshakeMessage } from './tls-handshake-message.js';
import { ContentType, looksLikeRecord, readHandshakeStream, type HandshakeStream } from './tls-records.js';
import { type Shortfall, streamShortfall } from './tls-shortfall.js';
import { parseSslv2ClientHello } from './tls-sslv2-hello.js';

/**
 * The client's certificate in a TLS <= 1.2 handshake: a Certificate message with certificates,
 * one with an empty list, or none at all before the ClientKeyExchange.
 */
export type ClientCertificate = 'non-empty' | 'empty' | 'not-sent';

/** What the client direction shows before encryption starts. */
export interface ClientFlight {
  /** The bytes start with a TLS handshake record or an SSL 2.0-compatible ClientHello. */
  readonly isTls: boolean;
  readonly hello?: TlsClientHello;
  /** Set when the hello is missing or incomplete. */
  readonly helloShortfall?: Shortfall;
  readonly certificate?: ClientCertificate;
  /** Set when the bytes end before the client's second flight shows its certificate (or its absence). */
  readonly certificateShortfall?: Shortfall;
  /** A plaintext alert ending the client's handshake. */
  readonly alert?: TlsAlert;
}

const HELLO = 'ClientHello';
const CERTIFICATE = 'client Certificate';

/** Reads the client direction's handshake: the hello, then its second flight up to the certificate. */
export function readClientFlight(payload: Buffer): ClientFlight {
  const sslv2 = parseSslv2ClientHello(payload);
  let stream: HandshakeStream;
  let read: HelloRead<TlsClientHello>;
  let pos: number;
  // An SSLv2-format hello counts only when it parsed: a first byte with the high bit set and a
  // third byte of 1 alone is common in other binary protocols.
  if (sslv2 !== undefined && sslv2.read.hello !== undefined) {
    read = sslv2.read;
    stream = readHandshakeStream(payload, Math.min(sslv2.next, payload.length));
    pos = 0;
  } else {
    if (!looksLikeRecord(payload, 0, ContentType.Handshake)) {
      return { isTls: false, helloShortfall: payload.length === 0 ? { kind: 'cut-before', what: HELLO } : notTls() };
    }
    stream = readHandshakeStream(payload, 0);
    const first = readHandshakeMessage(stream.bytes, 0);
    if (first === undefined) return { isTls: true, helloShortfall: streamShortfall(stream, 0, HELLO), alert: stream.alert };
    if (first.type !== HandshakeType.ClientHello) {
      return { isTls: true, helloShortfall: { kind: 'malformed', what: HELLO, problem: `the first handshake message is ${handshakeTypeName(first.type)}` } };
    }
    read = parseClientHello(stream.bytes, first.bodyStart, first.declaredEnd, first.availableEnd);
    pos = first.declaredEnd;
  }
  const base = { isTls: true, hello: read.hello, alert: stream.alert };
  if (read.status === 'malformed') return { ...base, helloShortfall: { kind: 'malformed', what: HELLO, problem: read.problem ?? 'bad lengths' } };
  if (read.status === 'truncated') return { ...base, helloShortfall: { kind: 'cut-inside', what: HELLO } };

  // The second flight (TLS <= 1.2): Certificate (if the server asked), ClientKeyExchange, ...
  // Each pass moves past one whole message header, so the loop is bounded by the stream.
  for (;;) {
    const m = readHandshakeMessage(stream.bytes, pos);
    if (m === undefined) return { ...base, certificateShortfall: streamShortfall(stream, pos, CERTIFICATE) };
    if (m.type === HandshakeType.Certificate) {
      if (m.availableEnd - m.bodyStart < 3) {
        if (m.declaredEnd - m.bodyStart < 3) return { ...base, certificateShortfall: { kind: 'malformed', what: CERTIFICATE, problem: 'message shorter than its list length' } };
        return { ...base, certificateShortfall: { kind: 'cut-inside', what: CERTIFICATE } };
      }
      const b = stream.bytes;
      const listLength = (b[m.bodyStart] << 16) | (b[m.bodyStart + 1] << 8) | b[m.bodyStart + 2];
      return { ...base, certificate: listLength > 0 ? 'non-empty' : 'empty' };
    }
    if (m.type === HandshakeType.ClientKeyExchange) return { ...base, certificate: 'not-sent' };
    if (!isComplete(m)) return { ...base, certificateShortfall: { kind: 'cut-inside', what: handshakeTypeName(m.type) } };
    pos = m.declaredEnd;
  }
}

function notTls(): Shortfall {
  return { kind: 'malformed', what: HELLO, problem: "the client's first bytes are not a TLS handshake record" };
}
