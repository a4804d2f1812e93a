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
  /** Live flows with a verdict handed on: flow id -> that verdict's kind and rule, as a number. */
  private readonly reported = new Map<number, number>();
  /** Numbers for (verdict kind, rule) pairs: a flood of live flows stores small integers, not strings. */
  private readonly keys = new Map<string, Map<string | undefined, number>>();
  private keyCount = 0;

  onFlowUpdate(flow: FlowRecord): void {
    const audited = this.audit(flow);
    const key = this.verdictKey(audited);
    if (this.reported.get(flow.id) === key) return;
    this.reported.set(flow.id, key);
    for (const sink of this.sinks) sink.onAuditedFlow(audited);
  }

  override onFlow(flow: FlowRecord): void {
    const audited = this.audit(flow);
    const key = this.reported.get(flow.id);
    if (key !== undefined) this.reported.delete(flow.id);
    // The record is this call's own until the sinks have it.
    if (key === this.verdictKey(audited)) (audited as { verdictReported: boolean }).verdictReported = true;
    for (const sink of this.sinks) sink.onAuditedFlow(audited);
  }

  /** Flows whose live verdict is remembered (bounded by the flow table's live flows). */
  get tracked(): number {
    return this.reported.size;
  }

  private verdictKey(flow: AuditedFlow): number {
    let byRule = this.keys.get(flow.verdict.kind);
    if (byRule === undefined) {
      byRule = new Map();
      this.keys.set(flow.verdict.kind, byRule);
    }
    let key = byRule.get(flow.verdict.ruleId);
    if (key === undefined) {
      key = ++this.keyCount;
      byRule.set(flow.verdict.ruleId, key);
    }
    return key;
  }
}
