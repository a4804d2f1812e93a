import type { DirectionTotals, FlowFacts } from '../flow/flow-facts.js';
import type { FlowEndpoint } from '../flow/flow-record.js';
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
export interface AuditedFlow extends FlowFacts<AuditedEndpoint, DirectionTotals> {
  /** The protocol's name (ipProtocolName): `tcp`, `udp`, `icmp`, ... `ip-proto-N`. */
  readonly protocol: string;
  readonly verdict: Verdict;
  /**
   * True on a final record whose verdict the live agent already handed on while the flow ran
   * (endReason 'update'): sinks that count or log verdicts skip it, byte totals still take it.
   * The audit sets false (a field that is always a boolean keeps V8's code for it optimised).
   */
  readonly verdictReported?: boolean;
}

/** Where audited flows go: reports, NDJSON streams, metrics. Interchangeable. */
export interface AuditSink {
  onAuditedFlow(flow: AuditedFlow): void;
}
