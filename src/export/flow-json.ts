import { ipProtocolName } from '../decode/ip-protocol.js';
import type { FlowDirection, FlowRecord } from '../flow/flow-record.js';

/**
 * The JSON shape of a flow in listings and reports. Payload bytes never leave the process: only
 * how many were kept and why collection stopped.
 */
export function flowToJson(flow: FlowRecord): Record<string, unknown> {
  return {
    id: flow.id,
    protocol: ipProtocolName(flow.protocol),
    ipVersion: flow.ipVersion,
    client: flow.client,
    server: flow.server,
    initiatorEvidence: flow.initiatorEvidence,
    firstSeen: round6(flow.firstSeen),
    lastSeen: round6(flow.lastSeen),
    durationSeconds: round6(flow.lastSeen - flow.firstSeen),
    toServer: directionToJson(flow.toServer),
    toClient: directionToJson(flow.toClient),
    tcpState: flow.tcpState,
    endReason: flow.endReason,
    continued: flow.continued,
    laterFragments: flow.laterFragments,
  };
}

function directionToJson(d: FlowDirection): Record<string, unknown> {
  return { packets: d.packets, bytes: d.bytes, payloadBytes: d.payloadBytes, payloadKept: d.payload.length, payloadStop: d.payloadStop };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
