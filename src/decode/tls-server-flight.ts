import type { TlsAlert } from './tls-alert.js';
import { handshakeTypeName, HandshakeType, isComplete, readHandshakeMessage } from './tls-handshake-message.js';
import { ContentType, looksLikeRecord, readHandshakeStream } from './tls-records.js';
import { parseServerHello, type TlsServerHello } from './tls-server-hello.js';
import { type Shortfall, streamShortfall } from './tls-shortfall.js';
import { isTls13Code } from './tls-version.js';

/** What the server direction shows before encryption starts. */
export interface ServerFlight {
  /** The bytes start with a TLS handshake or alert record. */
  readonly isTls: boolean;
  readonly hello?: TlsServerHello;
  /** Set when the hello is missing or incomplete. */
  readonly helloShortfall?: Shortfall;
  /**
   * TLS <= 1.2: whether the server's first flight, read to its ServerHelloDone, held a
   * CertificateRequest. Undefined when that flight was not seen to its end, and for TLS 1.3.
   */
  readonly certificateRequest?: boolean;
  /** Set when the bytes end before the flight shows whether a CertificateRequest is in it. */
  readonly flightShortfall?: Shortfall;
  /** TLS <= 1.2 abbreviated handshake: ChangeCipherSpec right after the hello, no certificates. */
  readonly resumed?: true;
  readonly alert?: TlsAlert;
}

const HELLO = 'ServerHello';
const DONE = 'ServerHelloDone';

/** The negotiated version code: supported_versions when present, else legacy_version. */
export function negotiatedCode(hello: TlsServerHello): number {
  return hello.selectedVersion ?? hello.legacyVersion;
}

/** Reads the server direction's handshake: the hello and, for TLS <= 1.2, its flight to ServerHelloDone. */
export function readServerFlight(payload: Buffer): ServerFlight {
  const isTls = looksLikeRecord(payload, 0, ContentType.Handshake) || looksLikeRecord(payload, 0, ContentType.Alert);
  if (!isTls) {
    const helloShortfall: Shortfall =
      payload.length === 0
        ? { kind: 'cut-before', what: HELLO }
        : { kind: 'malformed', what: HELLO, problem: "the server's first bytes are not a TLS record" };
    return { isTls, helloShortfall };
  }
  const stream = readHandshakeStream(payload, 0);
  const first = readHandshakeMessage(stream.bytes, 0);
  if (first === undefined) return { isTls, helloShortfall: streamShortfall(stream, 0, HELLO), alert: stream.alert };
  if (first.type !== HandshakeType.ServerHello) {
    return { isTls, helloShortfall: { kind: 'malformed', what: HELLO, problem: `the first handshake message is ${handshakeTypeName(first.type)}` } };
  }
  const read = parseServerHello(stream.bytes, first.bodyStart, first.declaredEnd, first.availableEnd);
  const base = { isTls, hello: read.hello, alert: stream.alert };
  if (read.status === 'malformed') return { ...base, helloShortfall: { kind: 'malformed', what: HELLO, problem: read.problem ?? 'bad lengths' } };
  if (read.status === 'truncated' || read.hello === undefined) return { ...base, helloShortfall: { kind: 'cut-inside', what: HELLO } };
  // TLS 1.3 (and its HelloRetryRequest): everything after the hello is encrypted.
  if (read.hello.helloRetryRequest === true || isTls13Code(negotiatedCode(read.hello))) return base;

  // TLS <= 1.2: Certificate, CertificateStatus, ServerKeyExchange, CertificateRequest?, ServerHelloDone.
  // A CertificateRequest's header settles the question, as does a ServerHelloDone without one.
  // Each pass moves past one whole message header, so the loop is bounded by the stream.
  let sawServerMessages = false;
  let pos = first.declaredEnd;
  for (;;) {
    const m = readHandshakeMessage(stream.bytes, pos);
    if (m === undefined) {
      if (!sawServerMessages && stream.end === 'change-cipher-spec' && stream.bytes.length === pos) return { ...base, resumed: true };
      return { ...base, flightShortfall: streamShortfall(stream, pos, `CertificateRequest or ${DONE}`) };
    }
    if (m.type === HandshakeType.CertificateRequest) return { ...base, certificateRequest: true };
    if (m.type === HandshakeType.ServerHelloDone) return { ...base, certificateRequest: false };
    // A resumed session may send a NewSessionTicket before its ChangeCipherSpec.
    if (m.type !== HandshakeType.NewSessionTicket) sawServerMessages = true;
    if (!isComplete(m)) return { ...base, flightShortfall: { kind: 'cut-inside', what: `server ${handshakeTypeName(m.type)}` } };
    pos = m.declaredEnd;
  }
}
