import type { FlowRecord } from '../flow/flow-record.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import { flowRecordJson } from './flow-record-json.js';
import type { FlowListFormat, FlowListing } from './flow-list-format.js';
import { runJson } from './run-json.js';
import { withFlows } from './with-flows.js';

/** `flows -f json`: the run's accounting, then every flow sorted by start. */
export const flowsJsonFormat: FlowListFormat = {
  name: 'json',
  streams: false,
  open: () => new FlowsJson(),
};

/** Keeps each flow's record text, never the flow, until the end. */
class FlowsJson implements FlowListing {
  private readonly records: { readonly start: number; readonly id: number; readonly line: string }[] = [];

  onFlow(flow: FlowRecord): void {
    this.records.push({ start: flow.firstSeen, id: flow.id, line: flowRecordJson(flow) });
  }

  finish(run: ReadFlowsResult): string {
    this.records.sort((a, b) => a.start - b.start || a.id - b.id);
    return [...withFlows(JSON.stringify({ run: runJson(run) }, null, 2), this.records, (r) => r.line)].join('');
  }
}
