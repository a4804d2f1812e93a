import { ipProtocolName } from '../net/ip-protocol.js';
import { tunnelIdName } from '../decode/tunnel-header.js';
import type { FlowEndReason, FlowEndpoint, FlowRecord, FlowTunnel, InitiatorEvidence, PayloadStop, TcpState } from '../flow/flow-record.js';
import { flowCommunityId } from './community-id.js';
import { isoTime } from './iso-time.js';

/**
 * What a flow record says of the flow itself: the same fields in `flows` listings and in every
 * `analyze` and agent record (AuditedFlow has them all). Published as schemas/flow.schema.json.
 */
export interface FlowFacts {
  readonly id: number;
  /** The protocol's name (ipProtocolName): `tcp`, `udp`, `icmp`, ... `ip-proto-N`. */
  readonly protocol: string;
  readonly ipVersion: 4 | 6;
  readonly client: FlowEndpoint;
  readonly server: FlowEndpoint;
  readonly initiatorEvidence: InitiatorEvidence;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly packetsToServer: number;
  readonly bytesToServer: number;
  readonly payloadKeptToServer: number;
  readonly payloadStopToServer: PayloadStop;
  readonly packetsToClient: number;
  readonly bytesToClient: number;
  readonly payloadKeptToClient: number;
  readonly payloadStopToClient: PayloadStop;
  readonly tcpState: TcpState;
  readonly endReason: FlowEndReason;
  readonly continued: boolean;
  readonly laterFragments: number;
  readonly icmp?: { readonly type: number; readonly code: number };
  readonly tunnel?: FlowTunnel;
  readonly encapsulates?: string;
}

/** The facts of a flow table record (its payload prefixes only as how many bytes were kept). */
export function flowFacts(f: FlowRecord): FlowFacts {
  return {
    id: f.id,
    protocol: ipProtocolName(f.protocol),
    ipVersion: f.ipVersion,
    client: f.client,
    server: f.server,
    initiatorEvidence: f.initiatorEvidence,
    firstSeen: f.firstSeen,
    lastSeen: f.lastSeen,
    packetsToServer: f.toServer.packets,
    bytesToServer: f.toServer.bytes,
    payloadKeptToServer: f.toServer.payload.length,
    payloadStopToServer: f.toServer.payloadStop,
    packetsToClient: f.toClient.packets,
    bytesToClient: f.toClient.bytes,
    payloadKeptToClient: f.toClient.payload.length,
    payloadStopToClient: f.toClient.payloadStop,
    tcpState: f.tcpState,
    endReason: f.endReason,
    continued: f.continued,
    laterFragments: f.laterFragments,
    icmp: f.icmp,
    tunnel: f.tunnel,
    encapsulates: f.encapsulates,
  };
}

/**
 * JSON members an audit adds to a flow record, as text: `client` and `server` go inside those
 * objects, `audit` after the flow's own fields. Each starts with a comma.
 */
export interface RecordAdditions {
  readonly client: string;
  readonly server: string;
  readonly audit: string;
}

/**
 * A flow record as one line of JSON (docs/output.md): snake_case keys, ISO 8601 times to the
 * microsecond, durations in seconds, ports as numbers. Written by hand rather than through
 * JSON.stringify of an intermediate object: listing tens of thousands of flows, that was a third
 * of the run (bench/RESULTS.md). Every string written here is an address, a number or a fixed
 * keyword, so none needs escaping; what an audit adds comes escaped in `additions`. Payload bytes
 * never leave the process: only how many were kept and why collection stopped.
 */
export function flowRecordJson(f: FlowFacts, additions?: RecordAdditions): string {
  return (
    `{"id":${f.id},"community_id":"${flowCommunityId(f)}","protocol":"${f.protocol}","ip_version":${f.ipVersion},` +
    `"client":{"address":"${f.client.address}","port":${f.client.port}${additions?.client ?? ''}},` +
    `"server":{"address":"${f.server.address}","port":${f.server.port}${additions?.server ?? ''}},` +
    `"initiator_evidence":"${f.initiatorEvidence}","first_seen":"${isoTime(f.firstSeen)}","last_seen":"${isoTime(f.lastSeen)}",` +
    `"duration":${round6(f.lastSeen - f.firstSeen)},` +
    `"to_server":${direction(f.packetsToServer, f.bytesToServer, f.payloadKeptToServer, f.payloadStopToServer)},` +
    `"to_client":${direction(f.packetsToClient, f.bytesToClient, f.payloadKeptToClient, f.payloadStopToClient)},` +
    `"tcp_state":"${f.tcpState}","end_reason":"${f.endReason}","continued":${f.continued},"later_fragments":${f.laterFragments}` +
    (f.icmp !== undefined ? `,"icmp":{"type":${f.icmp.type},"code":${f.icmp.code}}` : '') +
    (f.tunnel !== undefined ? `,"tunnel":${tunnel(f.tunnel)}` : '') +
    (f.encapsulates !== undefined ? `,"encapsulates":"${f.encapsulates}"` : '') +
    (additions?.audit ?? '') +
    '}'
  );
}

/** The carrying tunnel, its id under the name its specification gives it (vni, key, session, teid). */
function tunnel(t: FlowTunnel): string {
  const id = t.id !== undefined ? `,"${tunnelIdName(t.type)}":${t.id}` : '';
  return `{"type":"${t.type}"${id},"outer_client":"${t.outerClient}","outer_server":"${t.outerServer}"}`;
}

function direction(packets: number, bytes: number, payloadKept: number, payloadStop: PayloadStop): string {
  return `{"packets":${packets},"bytes":${bytes},"payload_kept":${payloadKept},"payload_stop":"${payloadStop}"}`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
