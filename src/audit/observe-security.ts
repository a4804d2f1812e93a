import { classifyPayload, type PayloadKind } from '../decode/payload-kind.js';
import { type DirectionBytes, parseTlsHandshake, type TlsHandshake } from '../decode/tls-handshake.js';
import { recogniseTlsUpgrade, startsLikeTlsUpgrade, type TlsUpgrade, type UpgradeName } from '../decode/tls-upgrade.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { ObservedSecurity, ProtocolVersion, SecurityGrade } from './verdict.js';

const MTLS_GRADE: Record<TlsHandshake['mtls'], SecurityGrade> = {
  proven: 'mtls-proven',
  absent: 'mtls-absent',
  unverifiable: 'mtls-unverifiable',
  unknown: 'tls',
};

/**
 * Grades a flow's protection from the first payload bytes of each direction (borrowed from the
 * flow table, so this runs inside FlowSink.onFlow): the TLS handshake when there is one, also
 * after a plaintext start that upgrades to it (STARTTLS, SSLRequest, CONNECT), else what the
 * plaintext looks like. Only handshake metadata leaves this function.
 */
export function observeSecurity(flow: FlowRecord): ObservedSecurity {
  const client = classifyPayload(flow.toServer.payload);
  if (client !== 'tls-handshake' && !isTlsRecord(flow.toServer.payload)) {
    const upgrade = recogniseTlsUpgrade(flow.toServer.payload, flow.toClient.payload);
    if (upgrade !== undefined) return gradeUpgrade(flow, upgrade);
    // While the flow runs, a server's banner that opens an upgrade (SMTP, IMAP, MySQL...) says nothing yet.
    if (client === 'empty' && flow.endReason === 'update' && startsLikeTlsUpgrade(flow.toClient.payload, 0, flow.toClient.payload.length)) return UPGRADE_PENDING;
    // A client that speaks plaintext first is plaintext, whatever the server answers.
    if (client !== 'empty') return plaintext(client);
  }
  const tls = gradeTls(flow.toServer, flow.toClient, undefined);
  if (tls !== undefined) return tls;
  const server = classifyPayload(flow.toClient.payload);
  if (client === 'empty' && server === 'empty') {
    return flow.toServer.payloadStop === 'budget' ? UNKNOWN_BUDGET : UNKNOWN_NO_PAYLOAD;
  }
  // A server speaking first (banners) or a client that sent nothing yet: judge by what we have.
  const seen = client === 'empty' ? server : client;
  const bytes = client === 'empty' ? flow.toClient.payload : flow.toServer.payload;
  if (isTlsRecord(bytes)) return UNKNOWN_NO_HANDSHAKE;
  return plaintext(seen);
}

/** The grade of a TLS handshake in these bytes, or undefined when neither side sent a hello. */
function gradeTls(toServer: DirectionBytes, toClient: DirectionBytes, upgraded: UpgradeName | undefined): ObservedSecurity | undefined {
  const tls = parseTlsHandshake(toServer, toClient);
  // A hello from either side shows TLS; records without one (a lone alert) show nothing more.
  if (tls.kind !== 'tls' || (tls.clientHello === undefined && tls.serverHello === undefined)) return undefined;
  const hello = tls.clientHello;
  const version = negotiated(tls);
  // Fields present or undefined, not spread in: spreads cost about half a microsecond a flow.
  return {
    grade: MTLS_GRADE[tls.mtls],
    detail: describeTls(tls, version, upgraded),
    tlsVersion: version,
    serverName: hello?.serverName,
    alpn: hello?.alpn,
    alpnSelected: tls.serverHello?.alpn,
    cipherSuite: tls.serverHello?.cipherSuite,
    upgraded,
  };
}

/**
 * A plaintext start that may upgrade to TLS: graded by the handshake after an accepted upgrade;
 * plaintext with the reason when it was refused, or never asked for by the flow's end (while it
 * runs, the agent's live verdicts, not yet asked is pending); unknown when the capture ends inside
 * the exchange. An accepted tunnel (CONNECT, SOCKS) that carries no TLS is plaintext too.
 */
function gradeUpgrade(flow: FlowRecord, upgrade: TlsUpgrade): ObservedSecurity {
  if (upgrade.kind !== 'upgraded') {
    if (upgrade.kind === 'unfinished') return { grade: 'unknown', detail: `${upgrade.protocol}: ${upgrade.reason}` };
    if (upgrade.kind === 'not-asked' && flow.endReason === 'update') return UPGRADE_PENDING;
    return { grade: 'plaintext', detail: `plaintext (${upgrade.protocol}: ${upgrade.reason})` };
  }
  const toServer = after(flow.toServer, upgrade.clientAt);
  const toClient = after(flow.toClient, upgrade.serverAt);
  const tls = gradeTls(toServer, toClient, upgrade.name);
  if (tls !== undefined) return tls;
  const inner = classifyPayload(toServer.payload.length > 0 ? toServer.payload : toClient.payload);
  if (inner === 'empty') return { grade: 'unknown', detail: `${upgrade.name} accepted, no TLS handshake captured after it` };
  return { grade: 'plaintext', detail: `plaintext (${inner === 'other' ? 'unrecognised protocol' : inner} after ${upgrade.name})` };
}

/** A direction's bytes from `at` on, with the same reason for where they end. */
function after(direction: DirectionBytes, at: number): DirectionBytes {
  return { payload: direction.payload.subarray(Math.min(at, direction.payload.length)), payloadStop: direction.payloadStop };
}

// Grades without handshake details are shared and frozen: most flows of a busy capture get one of
// these, and the judge reuses its verdicts for shared grades (flow-judge.ts).
const UNKNOWN_BUDGET: ObservedSecurity = Object.freeze({ grade: 'unknown', detail: 'payload not kept (prefix budget spent)' });
const UNKNOWN_NO_PAYLOAD: ObservedSecurity = Object.freeze({ grade: 'unknown', detail: 'no payload captured' });
const UPGRADE_PENDING: ObservedSecurity = Object.freeze({ grade: 'unknown', detail: 'a plaintext start that may upgrade to TLS, not over yet' });
const UNKNOWN_NO_HANDSHAKE: ObservedSecurity = Object.freeze({ grade: 'unknown', detail: 'TLS records, no handshake captured' });
const PLAINTEXT = new Map<PayloadKind, ObservedSecurity>(
  (['tls-handshake', 'tls-alert', 'http', 'cassandra-cql', 'other'] as const).map((kind) => [
    kind,
    Object.freeze({ grade: 'plaintext', detail: kind === 'other' ? 'plaintext (unrecognised protocol)' : `plaintext (${kind})` }),
  ]),
);

function plaintext(kind: PayloadKind): ObservedSecurity {
  return PLAINTEXT.get(kind)!;
}

/** The handshake's version, SSL 3.0 included: a ServerHello with legacy_version 0x0300 and no supported_versions. */
function negotiated(tls: TlsHandshake): ProtocolVersion | undefined {
  if (tls.version !== undefined) return tls.version;
  const hello = tls.serverHello;
  return hello !== undefined && hello.selectedVersion === undefined && hello.legacyVersion === SSL_3_0 ? 'ssl3.0' : undefined;
}

const SSL_3_0 = 0x0300;

function describeTls(tls: TlsHandshake, negotiatedVersion: ProtocolVersion | undefined, upgraded: UpgradeName | undefined): string {
  const named = negotiatedVersion === undefined ? 'TLS (version not seen)' : negotiatedVersion === 'ssl3.0' ? 'SSL 3.0' : `TLS ${negotiatedVersion}`;
  const version = upgraded === undefined ? named : `${named} after ${upgraded}`;
  const certificate =
    tls.mtls === 'proven' ? 'client certificate sent'
    : tls.mtls === 'absent' ? (tls.certificateRequest ? 'client sent no certificate' : 'server asked for no client certificate')
    : tls.mtls === 'unverifiable' ? (tls.resumed ? 'resumed session, no certificates on the wire' : 'client certificates encrypted')
    : 'client certificate not established';
  return tls.incomplete === undefined ? `${version}, ${certificate}` : `${version}, ${certificate}, ${tls.incomplete}`;
}

/** A TLS record header: content type 20-23 (change_cipher_spec, alert, handshake, application_data), version 3.0-3.4. */
function isTlsRecord(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] >= 20 && bytes[0] <= 23 && bytes[1] === 0x03 && bytes[2] <= 0x04;
}
