import type { TlsAlert } from './tls-alert.js';
import { handshakeTypeName, HandshakeType } from './tls-handshake-message.js';
import { ContentType, HandshakeReader, looksLikeRecord } from './tls-records.js';
import { parseServerHello, type TlsServerHello } from './tls-server-hello.js';
import { cutMessageShortfall, type Shortfall, streamShortfall } from './tls-shortfall.js';
import { isTls13Code } from './tls-version.js';

/** What the server direction shows before encryption starts. */
export interface ServerFlight {
  /** The bytes start with a TLS handshake or alert record. */
  isTls: boolean;
  hello?: TlsServerHello;
  /** Set when the hello is missing or incomplete. */
  helloShortfall?: Shortfall;
  /**
   * TLS <= 1.2: whether the server's first flight held a CertificateRequest (its header is
   * enough), or ended with ServerHelloDone without one. Undefined when neither was seen, and for
   * TLS 1.3.
   */
  certificateRequest?: boolean;
  /** Set when the bytes end before the flight shows whether a CertificateRequest is in it. */
  flightShortfall?: Shortfall;
  /** TLS <= 1.2 abbreviated handshake: ChangeCipherSpec after the hello, no certificates. */
  resumed?: true;
  alert?: TlsAlert;
}

const HELLO = 'ServerHello';
const REQUEST_OR_DONE = 'CertificateRequest or ServerHelloDone';

/** The negotiated version code: supported_versions when present, else legacy_version. */
export function negotiatedCode(hello: TlsServerHello): number {
  return hello.selectedVersion ?? hello.legacyVersion;
}

/** Reads the server direction's handshake: the hello and, for TLS <= 1.2, its flight to ServerHelloDone. */
export function readServerFlight(payload: Buffer): ServerFlight {
  // Every field from the start: one hidden class (see parseClientHello).
  const flight: ServerFlight = {
    isTls: true,
    hello: undefined,
    helloShortfall: undefined,
    certificateRequest: undefined,
    flightShortfall: undefined,
    resumed: undefined,
    alert: undefined,
  };
  if (!looksLikeRecord(payload, 0, ContentType.Handshake) && !looksLikeRecord(payload, 0, ContentType.Alert)) {
    flight.isTls = false;
    flight.helloShortfall =
      payload.length === 0 ? { kind: 'cut-before', what: HELLO } : { kind: 'malformed', what: HELLO, problem: "the server's first bytes are not a TLS record" };
    return flight;
  }
  const reader = new HandshakeReader(payload, 0);
  readFlight(reader, flight);
  if (reader.alert !== undefined) flight.alert = reader.alert;
  return flight;
}

function readFlight(reader: HandshakeReader, flight: ServerFlight): void {
  if (!reader.next()) {
    flight.helloShortfall = streamShortfall(reader, HELLO);
    return;
  }
  if (reader.type !== HandshakeType.ServerHello) {
    flight.helloShortfall = { kind: 'malformed', what: HELLO, problem: `the first handshake message is ${handshakeTypeName(reader.type)}` };
    return;
  }
  const read = parseServerHello(reader.buf, reader.bodyStart, reader.declaredEnd, reader.availableEnd);
  if (read.hello !== undefined) flight.hello = read.hello;
  if (read.status === 'malformed') {
    flight.helloShortfall = { kind: 'malformed', what: HELLO, problem: read.problem ?? 'bad lengths' };
    return;
  }
  if (read.status === 'truncated' || read.hello === undefined) {
    flight.helloShortfall = cutMessageShortfall(reader, HELLO);
    return;
  }
  // TLS 1.3 (and its HelloRetryRequest): everything after the hello is encrypted.
  if (read.hello.helloRetryRequest === true || isTls13Code(negotiatedCode(read.hello))) return;

  // TLS <= 1.2: Certificate, CertificateStatus, ServerKeyExchange, CertificateRequest?, ServerHelloDone.
  // Each pass consumes one message, so the loop is bounded by the bytes.
  let sawServerMessages = false;
  while (reader.next()) {
    // Read afresh: next() changed it (the narrowing above does not know that).
    const type: number = reader.type;
    if (type === HandshakeType.CertificateRequest) {
      flight.certificateRequest = true;
      return;
    }
    if (type === HandshakeType.ServerHelloDone) {
      flight.certificateRequest = false;
      return;
    }
    // A resumed session may send a NewSessionTicket before its ChangeCipherSpec.
    if (type !== HandshakeType.NewSessionTicket) sawServerMessages = true;
    if (reader.cut) {
      flight.flightShortfall = cutMessageShortfall(reader, `server ${handshakeTypeName(type)}`);
      return;
    }
  }
  if (!sawServerMessages && reader.end === 'change-cipher-spec') flight.resumed = true;
  else flight.flightShortfall = streamShortfall(reader, REQUEST_OR_DONE);
}
