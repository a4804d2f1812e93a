import type { FlowSink } from '../flow/flow-record.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';

/** One listing of flows under way: each flow as it ends (onFlow), then the run's accounting. */
export interface FlowListing extends FlowSink {
  /** What is left to print once every flow is in: the whole listing, or nothing after a stream. */
  finish(run: ReadFlowsResult): string;
}

/** A `flows --format`: one file in src/export each, listed in flow-list-formats.ts. */
export interface FlowListFormat {
  readonly name: string;
  /** Flows are printed as they end (through `write`), so no progress line may share their terminal. */
  readonly streams: boolean;
  open(write: (line: string) => void): FlowListing;
}
