import type { FlowDirection, FlowEndReason, FlowEndpoint, FlowTunnel, InitiatorEvidence, PayloadStop, TcpState } from './flow-record.js';

/** A direction's counters, as every record of a flow has them. */
export interface DirectionCounts {
  readonly packets: number;
  /** IP-layer bytes (headers included), independent of the link layer the capture used. */
  readonly bytes: number;
  readonly payloadStop: PayloadStop;
}

/** A direction as reports keep it: its payload only as how many bytes were kept. */
export interface DirectionTotals extends DirectionCounts {
  readonly payloadKept: number;
}

/**
 * What every record of a flow says of the flow itself, declared once: the flow table's FlowRecord
 * (endpoints as address and port, directions with their payload) and the audit's AuditedFlow
 * (endpoints with components and names, directions with how much payload was kept) both extend
 * it, and src/export/flow-record-json.ts writes it (published as schemas/flow.schema.json). Times
 * are seconds since the epoch.
 */
export interface FlowFacts<E extends FlowEndpoint, D extends DirectionCounts> {
  /** Unique within a run, in the order flows began. */
  readonly id: number;
  readonly ipVersion: 4 | 6;
  /** The initiator; `initiatorEvidence` says how sure that is. */
  readonly client: E;
  readonly server: E;
  readonly initiatorEvidence: InitiatorEvidence;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly toServer: D;
  readonly toClient: D;
  readonly tcpState: TcpState;
  readonly endReason: FlowEndReason;
  /** True when an earlier record of the same connection ended at an active timeout. */
  readonly continued: boolean;
  /** Later IP fragments attributed to this flow through their first fragment. */
  readonly laterFragments: number;
  /** ICMP and ICMPv6 flows: the type and code of the first message (the client's). */
  readonly icmp?: { readonly type: number; readonly code: number };
  /** The tunnel that carried this flow: it was decapsulated, its addresses are the inner ones. */
  readonly tunnel?: FlowTunnel;
  /** The tunnel this flow's packets carry (TUNNEL_NAMES): it is an overlay's outer flow. */
  readonly encapsulates?: string;
}

/** A table direction's totals for a report, which must not hold the borrowed payload. */
export function directionTotals(d: FlowDirection): DirectionTotals {
  return { packets: d.packets, bytes: d.bytes, payloadKept: d.payload.length, payloadStop: d.payloadStop };
}
