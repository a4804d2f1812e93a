import type { AuditedFlow, AuditSink } from '../audit/audited-flow.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';
import { auditedFlowJson } from './audited-flow-json.js';

export type NdjsonRecords = 'flows' | 'violations';

/**
 * Streams audited flows as NDJSON lines to `write`: every flow, or only the violating ones (the
 * record the agent's violation log uses too).
 */
export class AuditNdjsonSink implements AuditSink {
  constructor(private readonly records: NdjsonRecords, private readonly write: (line: string) => void) {}

  onAuditedFlow(flow: AuditedFlow): void {
    if (this.records === 'violations' && !VIOLATION_KINDS.has(flow.verdict.kind)) return;
    this.write(JSON.stringify(auditedFlowJson(flow)));
  }
}
