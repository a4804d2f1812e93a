import { classifyPayload } from '../decode/payload-kind.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { ObservedSecurity } from './verdict.js';

/**
 * Grades a flow's protection from the first payload bytes of each direction (borrowed from the
 * flow table, so this runs inside FlowSink.onFlow). A TLS handshake record opening the client's
 * stream makes the flow TLS; other TLS records without a handshake (a connection picked up
 * mid-stream, an alert) leave it unproven; any other first bytes make it plaintext, named where
 * recognisable.
 */
export function observeSecurity(flow: FlowRecord): ObservedSecurity {
  const client = classifyPayload(flow.toServer.payload);
  const server = classifyPayload(flow.toClient.payload);
  if (client === 'empty' && server === 'empty') {
    return { grade: 'unknown', detail: flow.toServer.payloadStop === 'budget' ? 'payload not kept (prefix budget spent)' : 'no payload captured' };
  }
  if (client === 'tls-handshake') {
    return { grade: 'tls', detail: server === 'tls-handshake' ? 'TLS handshake both ways' : server === 'empty' ? 'TLS ClientHello, no server answer captured' : `TLS ClientHello, server answered ${server}` };
  }
  // A server speaking first (banners) or a client that sent nothing yet: judge by what we have.
  const seen = client === 'empty' ? server : client;
  const bytes = client === 'empty' ? flow.toClient.payload : flow.toServer.payload;
  if (seen === 'tls-handshake') return { grade: 'tls', detail: 'TLS handshake from the server side only' };
  if (isTlsRecord(bytes)) return { grade: 'unknown', detail: 'TLS records, no handshake captured' };
  return { grade: 'plaintext', detail: seen === 'other' ? 'plaintext (unrecognised protocol)' : `plaintext (${seen})` };
}

/** A TLS record header: content type 20-23 (change_cipher_spec, alert, handshake, application_data), version 3.0-3.4. */
function isTlsRecord(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] >= 20 && bytes[0] <= 23 && bytes[1] === 0x03 && bytes[2] <= 0x04;
}
