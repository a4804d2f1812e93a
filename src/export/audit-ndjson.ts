import type { AuditedFlow, AuditSink } from '../audit/audited-flow.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';
import { auditedFlowJson } from './audited-flow-json.js';
import type { NdjsonRecords, StreamFormat } from './report-format.js';

export const auditNdjsonFormat: StreamFormat = {
  kind: 'stream',
  name: 'NDJSON records',
  extensions: ['.ndjson', '.jsonl'],
  sink: (write, options) => new AuditNdjsonSink(options.ndjsonRecords, write, options.failOnUnverified),
};

/**
 * Streams audited flows as NDJSON lines to `write`: every flow, or only the violating ones (the
 * record the agent's violation log uses too); unverified flows count as violating when the audit
 * fails on them (`--fail-on-unverified`). A violating flow the agent judged while it ran is logged
 * then (its record's end_reason says update), not again when it ends with the same verdict.
 */
export class AuditNdjsonSink implements AuditSink {
  constructor(
    private readonly records: NdjsonRecords,
    private readonly write: (line: string) => void,
    private readonly failOnUnverified = false,
  ) {}

  onAuditedFlow(flow: AuditedFlow): void {
    const kind = flow.verdict.kind;
    if (this.records === 'violations') {
      if (!VIOLATION_KINDS.has(kind) && !(this.failOnUnverified && kind === 'unverified')) return;
      // The agent logged this verdict when the flow was judged live.
      if (flow.verdictReported === true) return;
    }
    this.write(auditedFlowJson(flow));
  }
}
