/**
 * TLS handshake evidence of one flow, from the first bytes of each direction: what the client
 * offered, what the server selected, the negotiated version, and whether the wire proves mutual
 * TLS. Metadata only (names and numbers): no payload bytes are kept. Never throws; every loop is
 * bounded by the input. Wire grammar lives in the tls-* files this one composes.
 */
import type { TlsAlert } from './tls-alert.js';
import type { TlsClientHello } from './tls-client-hello.js';
import { type ClientCertificate, type ClientFlight, readClientFlight } from './tls-client-flight.js';
import type { TlsServerHello } from './tls-server-hello.js';
import { negotiatedCode, readServerFlight, type ServerFlight } from './tls-server-flight.js';
import { hex16 } from './tls-records.js';
import { describeShortfall } from './tls-shortfall.js';
import { readPlainTls13 } from './tls13-plain-handshake.js';
import type { DirectionBytes } from './tls-stream-stop.js';
import { isTls13Code, TLS_1_2, tlsVersionName, type TlsVersion } from './tls-version.js';

export type { TlsClientHello } from './tls-client-hello.js';
export type { TlsServerHello } from './tls-server-hello.js';
export type { ClientCertificate } from './tls-client-flight.js';
export type { TlsAlert } from './tls-alert.js';
export type { TlsVersion } from './tls-version.js';
export type { DirectionBytes, StreamStop } from './tls-stream-stop.js';

/**
 * What the wire proves about client certificates:
 * `proven` a TLS <= 1.2 handshake shows the server's CertificateRequest and a non-empty client
 * Certificate; `absent` a TLS <= 1.2 handshake shows no CertificateRequest (its ServerHelloDone
 * came without one), or the client answered one with an empty list or no Certificate at all;
 * `unverifiable` the handshake is complete but cannot show it: TLS 1.3 encrypts everything after
 * the ServerHello, and a resumed TLS <= 1.2 session carries no certificates; `unknown` the capture
 * stops (or the bytes go wrong) before the answer, and `incomplete` says where.
 */
export type MtlsEvidence = 'proven' | 'absent' | 'unverifiable' | 'unknown';

export interface TlsHandshake {
  readonly kind: 'tls';
  readonly clientHello?: TlsClientHello;
  readonly serverHello?: TlsServerHello;
  /**
   * The negotiated version: the ServerHello's supported_versions, else its legacy_version once
   * the whole hello was seen (a cut hello may hide the extension that makes it 1.3). Undefined
   * without a ServerHello, and for SSL 3.0 (serverHello.legacyVersion 0x0300 then says so).
   */
  readonly version?: TlsVersion;
  /** TLS <= 1.2: whether the server's flight held a CertificateRequest (undefined when not seen to its end). */
  readonly certificateRequest?: boolean;
  /** TLS <= 1.2: the client's certificate, once its second flight was seen. */
  readonly clientCertificate?: ClientCertificate;
  /** TLS <= 1.2 abbreviated handshake (session resumption). */
  readonly resumed?: true;
  /** A plaintext alert that ended a side's handshake (a refusal before encryption started). */
  readonly clientAlert?: TlsAlert;
  readonly serverAlert?: TlsAlert;
  readonly mtls: MtlsEvidence;
  /** Why the evidence is partial, when it is: one clause per gap, joined by "; ". */
  readonly incomplete?: string;
}

/** Neither direction starts like TLS. */
export interface NotTls {
  readonly kind: 'not-tls';
  readonly reason: string;
}

export type TlsEvidence = TlsHandshake | NotTls;

/**
 * Parses the TLS handshake at the start of a TCP flow: `toServer` and `toClient` are the first
 * bytes of each direction in sequence order (a FlowRecord's directions serve as they are; their
 * buffers are only read during the call).
 */
export function parseTlsHandshake(toServer: DirectionBytes, toClient: DirectionBytes): TlsEvidence {
  // The plainest TLS 1.3 handshakes, most of a busy capture's, are read flat first: the same
  // answer at a fraction of the cost while V8 warms up (tls13-plain-handshake.ts).
  return readPlainTls13(toServer, toClient) ?? parseAnyTlsHandshake(toServer, toClient);
}

/** The full reader, for every version and shape of handshake: parseTlsHandshake's answer for what readPlainTls13 declines. */
export function parseAnyTlsHandshake(toServer: DirectionBytes, toClient: DirectionBytes): TlsEvidence {
  const client = readClientFlight(toServer.payload);
  const server = readServerFlight(toClient.payload);
  if (!client.isTls && !server.isTls) {
    const clauses = [client.helloShortfall, server.helloShortfall].map((s, i) =>
      s === undefined ? '' : describeShortfall(s, i === 0 ? 'client' : 'server', i === 0 ? toServer : toClient),
    );
    return { kind: 'not-tls', reason: `no TLS handshake in either direction: ${clauses.filter((c) => c !== '').join('; ')}` };
  }
  const version = negotiatedVersion(server.hello);
  const mtls = mtlsEvidence(client, server);
  const reasons: string[] = [];
  if (client.helloShortfall !== undefined) reasons.push(describeShortfall(client.helloShortfall, 'client', toServer));
  if (server.helloShortfall !== undefined) reasons.push(describeShortfall(server.helloShortfall, 'server', toClient));
  if (mtls === 'unknown' && server.hello !== undefined && server.helloShortfall === undefined) {
    if (!knownFamily(negotiatedCode(server.hello))) reasons.push(`the ServerHello selected version ${hex16(negotiatedCode(server.hello))}, unknown here`);
    else if (server.flightShortfall !== undefined) reasons.push(describeShortfall(server.flightShortfall, 'server', toClient));
    else if (server.certificateRequest === true && client.certificateShortfall !== undefined) {
      reasons.push(describeShortfall(client.certificateShortfall, 'client', toServer));
    }
  }
  // Every field present (undefined when not seen), in one order: one hidden class for all.
  return {
    kind: 'tls',
    clientHello: client.hello,
    serverHello: server.hello,
    version,
    certificateRequest: server.certificateRequest,
    clientCertificate: server.certificateRequest === undefined ? undefined : client.certificate,
    resumed: server.resumed,
    clientAlert: client.alert,
    serverAlert: server.alert,
    mtls,
    incomplete: reasons.length > 0 ? reasons.join('; ') : undefined,
  };
}

function negotiatedVersion(hello: TlsServerHello | undefined): TlsVersion | undefined {
  if (hello === undefined) return undefined;
  if (hello.helloRetryRequest === true) return '1.3';
  if (hello.selectedVersion !== undefined) return tlsVersionName(hello.selectedVersion);
  return hello.complete ? tlsVersionName(hello.legacyVersion) : undefined;
}

/** SSL 3.0 through TLS 1.2 send certificates in the clear; TLS 1.3 is handled apart; nothing else is understood. */
function knownFamily(code: number): boolean {
  return (code >= 0x0300 && code <= TLS_1_2) || isTls13Code(code);
}

function mtlsEvidence(client: ClientFlight, server: ServerFlight): MtlsEvidence {
  const hello = server.hello;
  if (hello === undefined) return 'unknown';
  // A HelloRetryRequest, or supported_versions selecting 1.3, settles it even in a hello cut later.
  if (hello.helloRetryRequest === true || (hello.selectedVersion !== undefined && isTls13Code(hello.selectedVersion))) return 'unverifiable';
  if (server.helloShortfall !== undefined) return 'unknown';
  const code = negotiatedCode(hello);
  if (isTls13Code(code)) return 'unverifiable';
  if (!knownFamily(code)) return 'unknown';
  if (server.resumed === true) return 'unverifiable';
  if (server.certificateRequest === undefined) return 'unknown';
  if (!server.certificateRequest) return 'absent';
  if (client.certificate === undefined) return 'unknown';
  return client.certificate === 'non-empty' ? 'proven' : 'absent';
}
