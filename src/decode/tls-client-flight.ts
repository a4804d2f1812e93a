import type { TlsAlert } from './tls-alert.js';
import { parseClientHello, type HelloRead, type TlsClientHello } from './tls-client-hello.js';
import { handshakeTypeName, HandshakeType } from './tls-handshake-message.js';
import { ContentType, HandshakeReader, looksLikeRecord } from './tls-records.js';
import { cutMessageShortfall, type Shortfall, streamShortfall } from './tls-shortfall.js';
import { parseSslv2ClientHello } from './tls-sslv2-hello.js';

/**
 * The client's certificate in a TLS <= 1.2 handshake: a Certificate message with certificates,
 * one with an empty list, or none at all before the ClientKeyExchange.
 */
export type ClientCertificate = 'non-empty' | 'empty' | 'not-sent';

/** What the client direction shows before encryption starts. */
export interface ClientFlight {
  /** The bytes start with a TLS handshake record or an SSL 2.0-compatible ClientHello. */
  isTls: boolean;
  hello?: TlsClientHello;
  /** Set when the hello is missing or incomplete. */
  helloShortfall?: Shortfall;
  certificate?: ClientCertificate;
  /** Set when the bytes end before the client's second flight shows its certificate (or its absence). */
  certificateShortfall?: Shortfall;
  /** A plaintext alert ending the client's handshake. */
  alert?: TlsAlert;
}

const HELLO = 'ClientHello';
const CERTIFICATE = 'client Certificate';

/** Reads the client direction's handshake: the hello, then its second flight up to the certificate. */
export function readClientFlight(payload: Buffer): ClientFlight {
  // Every field from the start: one hidden class (see parseClientHello).
  const flight: ClientFlight = { isTls: true, hello: undefined, helloShortfall: undefined, certificate: undefined, certificateShortfall: undefined, alert: undefined };
  let reader: HandshakeReader;
  let read: HelloRead<TlsClientHello>;
  const sslv2 = parseSslv2ClientHello(payload);
  // An SSLv2-format hello counts only when it parsed: a first byte with the high bit set and a
  // third byte of 1 alone is common in other binary protocols.
  if (sslv2 !== undefined && sslv2.read.hello !== undefined) {
    read = sslv2.read;
    reader = new HandshakeReader(payload, Math.min(sslv2.next, payload.length));
  } else {
    if (!looksLikeRecord(payload, 0, ContentType.Handshake)) {
      flight.isTls = false;
      flight.helloShortfall =
        payload.length === 0 ? { kind: 'cut-before', what: HELLO } : { kind: 'malformed', what: HELLO, problem: "the client's first bytes are not a TLS handshake record" };
      return flight;
    }
    reader = new HandshakeReader(payload, 0);
    if (!reader.next()) {
      flight.helloShortfall = streamShortfall(reader, HELLO);
      if (reader.alert !== undefined) flight.alert = reader.alert;
      return flight;
    }
    if (reader.type !== HandshakeType.ClientHello) {
      flight.helloShortfall = { kind: 'malformed', what: HELLO, problem: `the first handshake message is ${handshakeTypeName(reader.type)}` };
      return flight;
    }
    read = parseClientHello(reader.buf, reader.bodyStart, reader.declaredEnd, reader.availableEnd);
  }
  if (read.hello !== undefined) flight.hello = read.hello;
  if (read.status === 'malformed') flight.helloShortfall = { kind: 'malformed', what: HELLO, problem: read.problem ?? 'bad lengths' };
  else if (read.status === 'truncated') flight.helloShortfall = cutMessageShortfall(reader, HELLO);
  else readSecondFlight(reader, flight);
  if (reader.alert !== undefined) flight.alert = reader.alert;
  return flight;
}

/**
 * The second flight (TLS <= 1.2): Certificate (if the server asked), ClientKeyExchange, ...
 * Each pass consumes one message, so the loop is bounded by the bytes.
 */
function readSecondFlight(reader: HandshakeReader, flight: ClientFlight): void {
  while (reader.next()) {
    if (reader.type === HandshakeType.Certificate) {
      if (reader.availableEnd - reader.bodyStart >= 3) {
        const b = reader.buf;
        const at = reader.bodyStart;
        flight.certificate = ((b[at] << 16) | (b[at + 1] << 8) | b[at + 2]) > 0 ? 'non-empty' : 'empty';
      } else if (reader.declaredEnd - reader.bodyStart < 3) {
        flight.certificateShortfall = { kind: 'malformed', what: CERTIFICATE, problem: 'message shorter than its list length' };
      } else {
        flight.certificateShortfall = cutMessageShortfall(reader, CERTIFICATE);
      }
      return;
    }
    if (reader.type === HandshakeType.ClientKeyExchange) {
      flight.certificate = 'not-sent';
      return;
    }
    if (reader.cut) {
      flight.certificateShortfall = cutMessageShortfall(reader, handshakeTypeName(reader.type));
      return;
    }
  }
  flight.certificateShortfall = streamShortfall(reader, CERTIFICATE);
}
