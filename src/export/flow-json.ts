import { ipProtocolName } from '../decode/ip-protocol.js';
import { tunnelIdName } from '../decode/tunnel-header.js';
import type { FlowDirection, FlowRecord, FlowTunnel } from '../flow/flow-record.js';

/**
 * A flow as one line of JSON, for NDJSON listings and the flows array of JSON output. Written by
 * hand rather than through JSON.stringify of an intermediate object: listing tens of thousands of
 * flows, that was a third of the run (bench/RESULTS.md). Every string here is an address, a
 * number or a fixed keyword, so none needs escaping. Payload bytes never leave the process: only
 * how many were kept and why collection stopped.
 */
export function flowJsonLine(f: FlowRecord): string {
  return (
    `{"id":${f.id},"protocol":"${ipProtocolName(f.protocol)}","ipVersion":${f.ipVersion},` +
    `"client":{"address":"${f.client.address}","port":${f.client.port}},` +
    `"server":{"address":"${f.server.address}","port":${f.server.port}},` +
    `"initiatorEvidence":"${f.initiatorEvidence}","firstSeen":${round6(f.firstSeen)},"lastSeen":${round6(f.lastSeen)},` +
    `"durationSeconds":${round6(f.lastSeen - f.firstSeen)},"toServer":${direction(f.toServer)},"toClient":${direction(f.toClient)},` +
    `"tcpState":"${f.tcpState}","endReason":"${f.endReason}","continued":${f.continued},"laterFragments":${f.laterFragments}` +
    (f.tunnel !== undefined ? `,"tunnel":${tunnel(f.tunnel)}` : '') +
    (f.encapsulates !== undefined ? `,"encapsulates":"${f.encapsulates}"` : '') +
    '}'
  );
}

/** The carrying tunnel, its id under the name its specification gives it (vni, key, session, teid). */
function tunnel(t: FlowTunnel): string {
  const id = t.id !== undefined ? `,"${tunnelIdName(t.type)}":${t.id}` : '';
  return `{"type":"${t.type}"${id},"outerClient":"${t.outerClient}","outerServer":"${t.outerServer}"}`;
}

function direction(d: FlowDirection): string {
  return `{"packets":${d.packets},"bytes":${d.bytes},"payloadKept":${d.payload.length},"payloadStop":"${d.payloadStop}"}`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
