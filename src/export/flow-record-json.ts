import { ipProtocolName } from '../net/ip-protocol.js';
import { tunnelIdName } from '../decode/tunnel-header.js';
import type { DirectionCounts, FlowFacts } from '../flow/flow-facts.js';
import type { FlowEndpoint, FlowRecord, FlowTunnel } from '../flow/flow-record.js';
import { flowCommunityId } from './community-id.js';
import { isoTime } from './iso-time.js';

/**
 * JSON members an audit adds to a flow record, as text: `client` and `server` go inside those
 * objects, `audit` after the flow's own fields. Each starts with a comma.
 */
export interface RecordAdditions {
  readonly client: string;
  readonly server: string;
  readonly audit: string;
}

/** `flows`' record of a flow as the table handed it on. */
export function flowRecordJson(f: FlowRecord): string {
  return flowFactsJson(f, ipProtocolName(f.protocol), f.toServer.payload.length, f.toClient.payload.length, undefined);
}

/**
 * A flow record as one line of JSON (docs/output.md), from the facts every record has, the
 * protocol's name and how many payload bytes each direction kept: snake_case keys, ISO 8601 times
 * to the microsecond, durations in seconds, ports as numbers. Written by hand rather than through
 * JSON.stringify of an intermediate object: listing tens of thousands of flows, that was a third
 * of the run (bench/RESULTS.md). Every string written here is an address, a number or a fixed
 * keyword, so none needs escaping; what an audit adds comes escaped in `additions`. Payload bytes
 * never leave the process: only how many were kept and why collection stopped.
 */
export function flowFactsJson(
  f: FlowFacts<FlowEndpoint, DirectionCounts>,
  protocol: string,
  payloadKeptToServer: number,
  payloadKeptToClient: number,
  additions: RecordAdditions | undefined,
): string {
  const client = f.client;
  const server = f.server;
  const toServer = f.toServer;
  const toClient = f.toClient;
  return (
    `{"id":${f.id},"community_id":"${flowCommunityId(protocol, f)}","protocol":"${protocol}","ip_version":${f.ipVersion},` +
    `"client":{"address":"${client.address}","port":${client.port}${additions === undefined ? '' : additions.client}},` +
    `"server":{"address":"${server.address}","port":${server.port}${additions === undefined ? '' : additions.server}},` +
    `"initiator_evidence":"${f.initiatorEvidence}","first_seen":"${isoTime(f.firstSeen)}","last_seen":"${isoTime(f.lastSeen)}",` +
    `"duration":${Math.round((f.lastSeen - f.firstSeen) * 1e6) / 1e6},` +
    `"to_server":{"packets":${toServer.packets},"bytes":${toServer.bytes},"payload_kept":${payloadKeptToServer},"payload_stop":"${toServer.payloadStop}"},` +
    `"to_client":{"packets":${toClient.packets},"bytes":${toClient.bytes},"payload_kept":${payloadKeptToClient},"payload_stop":"${toClient.payloadStop}"},` +
    `"tcp_state":"${f.tcpState}","end_reason":"${f.endReason}","continued":${f.continued},"later_fragments":${f.laterFragments}` +
    (f.icmp === undefined ? '' : `,"icmp":{"type":${f.icmp.type},"code":${f.icmp.code}}`) +
    (f.tunnel === undefined ? '' : `,"tunnel":${tunnel(f.tunnel)}`) +
    (f.encapsulates === undefined ? '' : `,"encapsulates":"${f.encapsulates}"`) +
    (additions === undefined ? '' : additions.audit) +
    '}'
  );
}

/** The carrying tunnel, its id under the name its specification gives it (vni, key, session, teid). */
function tunnel(t: FlowTunnel): string {
  const id = t.id !== undefined ? `,"${tunnelIdName(t.type)}":${t.id}` : '';
  return `{"type":"${t.type}"${id},"outer_client":"${t.outerClient}","outer_server":"${t.outerServer}"}`;
}
