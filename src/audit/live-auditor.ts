import type { FlowRecord } from '../flow/flow-record.js';
import type { AuditedFlow } from './audited-flow.js';
import { Auditor } from './auditor.js';

/**
 * The agent's audit: flows are judged while they run, as their evidence arrives (the flow
 * table's updates: first payload, then the TLS handshake), and once more when they end. A live
 * verdict is handed on only when it is new or differs from the last one handed on for that flow;
 * the final record says whether its verdict was already reported, so that sinks count and log
 * each verdict of a flow once.
 */
export class LiveAuditor extends Auditor {
  /** Live flows with a verdict handed on: flow id -> that verdict's kind and rule. */
  private readonly reported = new Map<number, string>();

  onFlowUpdate(flow: FlowRecord): void {
    const audited = this.audit(flow);
    const key = verdictKey(audited);
    if (this.reported.get(flow.id) === key) return;
    this.reported.set(flow.id, key);
    for (const sink of this.sinks) sink.onAuditedFlow(audited);
  }

  override onFlow(flow: FlowRecord): void {
    const audited = this.audit(flow);
    const key = this.reported.get(flow.id);
    if (key !== undefined) this.reported.delete(flow.id);
    const final: AuditedFlow = key === verdictKey(audited) ? { ...audited, verdictReported: true } : audited;
    for (const sink of this.sinks) sink.onAuditedFlow(final);
  }

  /** Flows whose live verdict is remembered (bounded by the flow table's live flows). */
  get tracked(): number {
    return this.reported.size;
  }
}

function verdictKey(flow: AuditedFlow): string {
  return `${flow.verdict.kind}\u0000${flow.verdict.ruleId ?? ''}`;
}
