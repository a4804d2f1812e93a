import type { FlowEndReason, FlowEndpoint, FlowTunnel, InitiatorEvidence, PayloadStop, TcpState } from '../flow/flow-record.js';
import type { NameEvidence } from '../identity/endpoint-identity.js';
import type { ComponentMatch } from './component-matcher.js';
import type { Verdict } from './verdict.js';

/** One side of an audited flow: where, and which components it was found to be. */
export interface AuditedEndpoint extends FlowEndpoint {
  readonly components: readonly ComponentMatch[];
  /**
   * The names this end had for this flow, each with what gave it: an inventory or the capture
   * file's name table; for the server also the DNS answers valid when the flow began and the SNI.
   */
  readonly names: readonly NameEvidence[];
}

/**
 * A flow with its verdict, as the audit hands it to report and metric sinks. It carries counters
 * and timing but no payload: nothing captured beyond headers reaches a report.
 */
export interface AuditedFlow {
  readonly id: number;
  readonly protocol: string;
  readonly ipVersion: 4 | 6;
  readonly client: AuditedEndpoint;
  readonly server: AuditedEndpoint;
  readonly initiatorEvidence: InitiatorEvidence;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly packetsToServer: number;
  readonly bytesToServer: number;
  readonly packetsToClient: number;
  readonly bytesToClient: number;
  /** Payload bytes kept of each direction, and why collection stopped (FlowDirection). */
  readonly payloadKeptToServer: number;
  readonly payloadStopToServer: PayloadStop;
  readonly payloadKeptToClient: number;
  readonly payloadStopToClient: PayloadStop;
  readonly tcpState: TcpState;
  readonly endReason: FlowEndReason;
  /** FlowRecord.continued: an earlier record of the same connection ended at an active timeout. */
  readonly continued: boolean;
  readonly laterFragments: number;
  /** ICMP flows: the first message's type and code. */
  readonly icmp: { readonly type: number; readonly code: number } | undefined;
  /** The tunnel that carried the flow (FlowRecord.tunnel): the audited addresses are the inner ones. */
  readonly tunnel?: FlowTunnel;
  /** The tunnel the flow carries (FlowRecord.encapsulates): an overlay's outer flow. */
  readonly encapsulates?: string;
  readonly verdict: Verdict;
  /**
   * Set on a final record whose verdict the live agent already handed on while the flow ran
   * (endReason 'update'): sinks that count or log verdicts skip it, byte totals still take it.
   */
  readonly verdictReported?: true;
}

/** Where audited flows go: reports, NDJSON streams, metrics. Interchangeable. */
export interface AuditSink {
  onAuditedFlow(flow: AuditedFlow): void;
}
