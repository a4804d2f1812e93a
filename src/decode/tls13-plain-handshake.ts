/**
 * The plainest TLS 1.3 handshake, read flat: a ClientHello alone in the client's first record
 * (whole, or cut by the capture), and a whole ServerHello in the server's first record selecting
 * TLS 1.3. That is nearly every flow of a capture of modern TLS, and the full reader
 * (parseAnyTlsHandshake) spends most of its time on them in its record, flight and field-reader
 * objects while V8 has not yet optimised it: on the bench capture of 31,931 such flows, this path
 * took `analyze` from 690 to 657 ms (medians of 12 interleaved runs; bench/RESULTS.md, session 6).
 *
 * It answers only where its answer is the full reader's, field for field (a property test holds
 * it to that on real and damaged handshakes), and declines (undefined) on anything else: another
 * version or a draft, a HelloRetryRequest, messages sharing or spanning records, a damaged length,
 * an alert.
 */
import { HandshakeType, handshakeTypeName } from './tls-handshake-message.js';
import { MAX_SESSION_ID, newClientHello, type TlsClientHello } from './tls-client-hello.js';
import { ExtensionType, readAlpn, readClientSupportedVersions, readServerName } from './tls-extensions.js';
import type { TlsHandshake } from './tls-handshake.js';
import { ContentType, MAX_RECORD_LENGTH } from './tls-records.js';
import { isEarlyTls13Draft, isHelloRetryRandom, type TlsServerHello } from './tls-server-hello.js';
import { describeShortfall } from './tls-shortfall.js';
import type { DirectionBytes } from './tls-stream-stop.js';
import { isGrease } from './tls-version.js';

/** Record header (5 bytes) and handshake message header (4): where a hello's body starts. */
const BODY = 9;
const TLS_1_3 = 0x0304;
const CLIENT_HELLO_CUT = { kind: 'cut-inside', what: handshakeTypeName(HandshakeType.ClientHello) } as const;

/** The handshake as parseAnyTlsHandshake reads it, when it has the plain TLS 1.3 shape above; else undefined. */
export function readPlainTls13(toServer: DirectionBytes, toClient: DirectionBytes): TlsHandshake | undefined {
  const server = readServerHello(toClient.payload);
  if (server === undefined) return undefined;
  const client = readClientHello(toServer.payload);
  if (client === undefined) return undefined;
  // Every field, in parseAnyTlsHandshake's order: one hidden class for both readers' results.
  return {
    kind: 'tls',
    clientHello: client,
    serverHello: server,
    version: '1.3',
    certificateRequest: undefined,
    clientCertificate: undefined,
    resumed: undefined,
    clientAlert: undefined,
    serverAlert: undefined,
    mtls: 'unverifiable',
    incomplete: client.complete ? undefined : describeShortfall(CLIENT_HELLO_CUT, 'client', toServer),
  };
}

/** The first record's header, `type` and a version 3.x; its length, or -1. */
function recordLength(b: Buffer, type: number): number {
  if (b.length < BODY || b[0] !== type || b[1] !== 3 || b[2] > 4) return -1;
  const length = (b[3] << 8) | b[4];
  return length > MAX_RECORD_LENGTH ? -1 : length;
}

/**
 * A whole ServerHello inside the server's first record, selecting TLS 1.3 by supported_versions;
 * else undefined. (TLS 1.3 encrypts what follows it, so nothing after it changes the answer.)
 */
function readServerHello(b: Buffer): TlsServerHello | undefined {
  const record = recordLength(b, ContentType.Handshake);
  if (record < 0 || b[5] !== HandshakeType.ServerHello) return undefined;
  const end = BODY + ((b[6] << 16) | (b[7] << 8) | b[8]);
  if (end - 5 > record || end > b.length) return undefined;
  let p = BODY;
  if (p + 2 + 32 + 1 > end) return undefined;
  const legacyVersion = (b[p] << 8) | b[p + 1];
  // A draft's hello has another layout (tls-server-hello.ts): left to the full reader.
  if (isEarlyTls13Draft(legacyVersion)) return undefined;
  p += 2;
  if (isHelloRetryRandom(b, p)) return undefined;
  p += 32;
  const sessionId = b[p++];
  if (sessionId > MAX_SESSION_ID || p + sessionId + 2 + 1 + 2 > end) return undefined;
  p += sessionId;
  const cipherSuite = (b[p] << 8) | b[p + 1];
  p += 3;
  const extensionsEnd = p + 2 + ((b[p] << 8) | b[p + 1]);
  if (extensionsEnd > end) return undefined;
  p += 2;
  let selectedVersion: number | undefined;
  let alpn: string | undefined;
  while (p < extensionsEnd) {
    if (extensionsEnd - p < 4) return undefined;
    const type = (b[p] << 8) | b[p + 1];
    const length = (b[p + 2] << 8) | b[p + 3];
    p += 4;
    if (p + length > extensionsEnd) return undefined;
    if (type === ExtensionType.SupportedVersions) {
      if (length === 2) selectedVersion = (b[p] << 8) | b[p + 1];
    } else if (type === ExtensionType.Alpn) {
      const names = readAlpn(b, p, p + length);
      if (names !== undefined && names.length === 1) alpn = names[0];
    }
    p += length;
  }
  if (selectedVersion !== TLS_1_3) return undefined;
  return { legacyVersion, selectedVersion, cipherSuite, alpn, helloRetryRequest: undefined, complete: true };
}

/**
 * A ClientHello alone in the client's first record, read as far as the capture goes (complete:
 * false when it cut the hello); undefined when it is damaged, shares or spans records, or when the
 * record after a whole hello may hold an alert or more handshake (the full reader reads on there).
 */
function readClientHello(b: Buffer): TlsClientHello | undefined {
  const record = recordLength(b, ContentType.Handshake);
  if (record < 0 || b[5] !== HandshakeType.ClientHello) return undefined;
  const declaredEnd = BODY + ((b[6] << 16) | (b[7] << 8) | b[8]);
  if (declaredEnd - 5 !== record) return undefined;
  const availableEnd = Math.min(declaredEnd, b.length);
  // The hello fills its record, so the next record starts where it ends.
  if (b.length - declaredEnd >= 5 && (b[declaredEnd] === ContentType.Alert || b[declaredEnd] === ContentType.Handshake)) return undefined;
  if (BODY + 2 > availableEnd) return undefined;
  const h = newClientHello((b[BODY] << 8) | b[BODY + 1]);
  // Each field: past the declared end the hello is damaged (decline); past the captured end it
  // was cut there, and the fields read so far stand.
  let p = BODY + 2 + 32;
  if (p + 1 > declaredEnd) return undefined;
  if (p + 1 > availableEnd) return h;
  const sessionId = b[p++];
  if (sessionId > MAX_SESSION_ID) return undefined;
  p += sessionId;
  if (p + 2 > declaredEnd) return undefined;
  if (p + 2 > availableEnd) return h;
  const suitesLength = (b[p] << 8) | b[p + 1];
  p += 2;
  if (suitesLength === 0 || suitesLength % 2 !== 0) return undefined;
  // The count and the 1.3 test come from the captured suites even when the list is cut.
  let count = 0;
  let tls13 = false;
  const suitesEnd = Math.min(p + suitesLength, availableEnd);
  for (let s = p; s + 1 < suitesEnd; s += 2) {
    if (isGrease((b[s] << 8) | b[s + 1])) continue;
    count++;
    if (b[s] === 0x13) tls13 = true;
  }
  h.cipherSuiteCount = count;
  h.offersTls13Suites = tls13;
  p += suitesLength;
  if (p + 1 > declaredEnd) return undefined;
  if (p + 1 > availableEnd) return h;
  p += 1 + b[p];
  if (p > declaredEnd) return undefined;
  if (p > availableEnd) return h;
  if (p === declaredEnd) {
    h.complete = true;
    return h;
  }
  if (p + 2 > declaredEnd) return undefined;
  if (p + 2 > availableEnd) return h;
  const extensionsEnd = p + 2 + ((b[p] << 8) | b[p + 1]);
  if (extensionsEnd > declaredEnd) return undefined;
  p += 2;
  while (p < extensionsEnd) {
    if (extensionsEnd - p < 4) return undefined;
    if (p + 4 > availableEnd) return h;
    const type = (b[p] << 8) | b[p + 1];
    const length = (b[p + 2] << 8) | b[p + 3];
    p += 4;
    if (p + length > extensionsEnd) return undefined;
    if (p + length > availableEnd) return h;
    if (type === ExtensionType.ServerName) {
      const name = readServerName(b, p, p + length);
      if (name !== undefined) h.serverName = name;
    } else if (type === ExtensionType.Alpn) {
      const alpn = readAlpn(b, p, p + length);
      if (alpn !== undefined) h.alpn = alpn;
    } else if (type === ExtensionType.SupportedVersions) {
      const versions = readClientSupportedVersions(b, p, p + length);
      if (versions !== undefined) h.supportedVersions = versions;
    }
    p += length;
  }
  h.complete = true;
  return h;
}
