import type { AuditedFlow, AuditSink } from '../audit/audited-flow.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';
import { auditedFlowJson } from './audited-flow-json.js';

export type NdjsonRecords = 'flows' | 'violations';

/**
 * Streams audited flows as NDJSON lines to `write`: every flow, or only the violating ones (the
 * record the agent's violation log uses too); unverified flows count as violating when the audit
 * fails on them (`--fail-on-unverified`).
 */
export class AuditNdjsonSink implements AuditSink {
  constructor(
    private readonly records: NdjsonRecords,
    private readonly write: (line: string) => void,
    private readonly failOnUnverified = false,
  ) {}

  onAuditedFlow(flow: AuditedFlow): void {
    const kind = flow.verdict.kind;
    if (this.records === 'violations' && !VIOLATION_KINDS.has(kind) && !(this.failOnUnverified && kind === 'unverified')) return;
    this.write(JSON.stringify(auditedFlowJson(flow)));
  }
}
