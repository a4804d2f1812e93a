import { classifyPayload } from '../decode/payload-kind.js';
import { parseTlsHandshake, type TlsHandshake } from '../decode/tls-handshake.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { ObservedSecurity, SecurityGrade } from './verdict.js';

const MTLS_GRADE: Record<TlsHandshake['mtls'], SecurityGrade> = {
  proven: 'mtls-proven',
  absent: 'mtls-absent',
  unverifiable: 'mtls-unverifiable',
  unknown: 'tls',
};

/**
 * Grades a flow's protection from the first payload bytes of each direction (borrowed from the
 * flow table, so this runs inside FlowSink.onFlow): the TLS handshake when there is one, else
 * what the plaintext looks like. Only handshake metadata leaves this function.
 */
export function observeSecurity(flow: FlowRecord): ObservedSecurity {
  const client = classifyPayload(flow.toServer.payload);
  // A client that speaks plaintext first is plaintext, whatever the server answers.
  if (client !== 'empty' && client !== 'tls-handshake' && !isTlsRecord(flow.toServer.payload)) {
    return { grade: 'plaintext', detail: client === 'other' ? 'plaintext (unrecognised protocol)' : `plaintext (${client})` };
  }
  const tls = parseTlsHandshake(flow.toServer, flow.toClient);
  // A hello from either side shows TLS; records without one (a lone alert) show nothing more.
  if (tls.kind === 'tls' && (tls.clientHello !== undefined || tls.serverHello !== undefined)) {
    const hello = tls.clientHello;
    return {
      grade: MTLS_GRADE[tls.mtls],
      detail: describeTls(tls),
      ...(tls.version === undefined ? {} : { tlsVersion: tls.version }),
      ...(hello?.serverName === undefined ? {} : { serverName: hello.serverName }),
      ...(hello?.alpn === undefined ? {} : { alpn: hello.alpn }),
    };
  }
  const server = classifyPayload(flow.toClient.payload);
  if (client === 'empty' && server === 'empty') {
    return { grade: 'unknown', detail: flow.toServer.payloadStop === 'budget' ? 'payload not kept (prefix budget spent)' : 'no payload captured' };
  }
  // A server speaking first (banners) or a client that sent nothing yet: judge by what we have.
  const seen = client === 'empty' ? server : client;
  const bytes = client === 'empty' ? flow.toClient.payload : flow.toServer.payload;
  if (isTlsRecord(bytes)) return { grade: 'unknown', detail: 'TLS records, no handshake captured' };
  return { grade: 'plaintext', detail: seen === 'other' ? 'plaintext (unrecognised protocol)' : `plaintext (${seen})` };
}

function describeTls(tls: TlsHandshake): string {
  const version = tls.version === undefined ? 'TLS (version not seen)' : `TLS ${tls.version}`;
  const certificate =
    tls.mtls === 'proven' ? 'client certificate sent'
    : tls.mtls === 'absent' ? (tls.certificateRequest ? 'client sent no certificate' : 'server asked for no client certificate')
    : tls.mtls === 'unverifiable' ? (tls.resumed ? 'resumed session, no certificates on the wire' : 'client certificates encrypted')
    : 'client certificate not established';
  return [version, certificate, tls.incomplete].filter((part) => part !== undefined).join(', ');
}

/** A TLS record header: content type 20-23 (change_cipher_spec, alert, handshake, application_data), version 3.0-3.4. */
function isTlsRecord(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] >= 20 && bytes[0] <= 23 && bytes[1] === 0x03 && bytes[2] <= 0x04;
}
