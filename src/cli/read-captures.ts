import { CaptureFormatError } from '../capture/capture-error.js';
import type { CaptureSummary } from '../capture/packet-sink.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { readTrace, type ReadFlowsResult } from '../pipeline/read-flows.js';
import { ProgressLine } from '../export/progress-line.js';

/**
 * readTrace as the commands run it: progress on stderr while a long read runs (when stderr is a
 * terminal and not `noProgress`), and the error of a damaged capture saying what --keep-going would keep.
 */
export async function readCaptures(files: readonly string[], pipeline: FlowPipeline, keepGoing: boolean, noProgress: boolean): Promise<ReadFlowsResult> {
  const progress = !noProgress && process.stderr.isTTY ? new ProgressLine(process.stderr, files) : undefined;
  let reading: CaptureSummary | undefined;
  try {
    return await readTrace(files, pipeline, {
      keepGoing,
      onRead: (capture, bytesRead, table) => {
        reading = capture;
        progress?.update(capture, bytesRead, table.flowsStarted);
      },
    });
  } catch (err) {
    throw keepGoing ? err : withKeepGoingHint(err, reading, files.length);
  } finally {
    progress?.clear();
  }
}

/**
 * A damaged capture's error, with what --keep-going would keep when it would keep anything: the
 * packets before the damage, or the other files.
 * @param reading the summary of the file being read when the error came (its counters are final)
 */
export function withKeepGoingHint(err: unknown, reading: CaptureSummary | undefined, files: number): unknown {
  if (!(err instanceof CaptureFormatError)) return err;
  const packets = reading?.file === err.file ? reading.packets : 0;
  const hinted = (hint: string): CaptureFormatError => new CaptureFormatError(err.file, err.offset, `${err.reason}; ${hint}`, err.compressed, err.compressedOffset);
  if (packets > 0) return hinted(`--keep-going keeps the ${packets === 1 ? 'packet' : `${packets} packets`} before it`);
  if (files > 1) return hinted('--keep-going reads the other files without it');
  return err;
}
