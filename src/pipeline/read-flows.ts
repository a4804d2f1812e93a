import type { CaptureSummary } from '../capture/packet-sink.js';
import type { FlowSink } from '../flow/flow-record.js';
import type { FlowTableStats } from '../flow/flow-table.js';
import { CaptureFilesSource } from './capture-file-source.js';
import { FlowPipeline, type FlowPipelineOptions, type PipelineAccounting } from './flow-pipeline.js';

export interface ReadTraceOptions {
  readonly keepGoing?: boolean;
  /** Called after each chunk read (see ReadCaptureOptions.onRead), with the flow table's counters too. */
  readonly onRead?: (capture: CaptureSummary, bytesRead: number, table: FlowTableStats) => void;
}

export interface ReadFlowsResult extends PipelineAccounting {
  readonly captures: CaptureSummary[];
}

/**
 * Reads captures in order as one continuous trace (rotated files continue each other) into
 * `pipeline`, then ends every live flow: each flow reaches the pipeline's sink.
 */
export async function readTrace(paths: readonly string[], pipeline: FlowPipeline, options: ReadTraceOptions = {}): Promise<ReadFlowsResult> {
  const onRead = options.onRead;
  const { table } = pipeline;
  const files = new CaptureFilesSource(paths, {
    keepGoing: options.keepGoing,
    onRead: onRead && ((capture, bytesRead) => onRead(capture, bytesRead, table.stats)),
  });
  await files.start(pipeline.input);
  table.flush();
  return { captures: [...files.stats()], ...pipeline.accounting() };
}

/** readTrace into a pipeline of its own that emits every flow to `sink`. */
export function readFlows(paths: readonly string[], sink: FlowSink, options: ReadTraceOptions & FlowPipelineOptions = {}): Promise<ReadFlowsResult> {
  return readTrace(paths, new FlowPipeline(sink, options), options);
}
