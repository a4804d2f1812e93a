import type { CaptureSummary } from '../capture/packet-sink.js';
import { readCapture } from '../capture/read-capture.js';
import type { Source, SourceSink } from './source.js';

export interface CaptureFilesOptions {
  /** On a damaged file, keep the packets before the damage and read on (see ReadCaptureOptions). */
  readonly keepGoing?: boolean;
  /** After each chunk read (never per packet): the file's summary so far and its bytes read. */
  readonly onRead?: (capture: CaptureSummary, bytesRead: number) => void;
}

/**
 * Capture files (pcap, pcapng, gzip, "-" for stdin) read in order as one trace: rotated captures
 * continue each other. Its stats are one summary per file read so far.
 */
export class CaptureFilesSource implements Source<readonly CaptureSummary[]> {
  private readonly summaries: CaptureSummary[] = [];

  constructor(private readonly paths: readonly string[], private readonly options: CaptureFilesOptions = {}) {}

  /** Reads every file into `sink.packets`; throws CaptureFormatError on damage unless keepGoing. */
  async start(sink: Pick<SourceSink, 'packets'>): Promise<void> {
    for (const path of this.paths) this.summaries.push(await readCapture(path, sink.packets, this.options));
  }

  stats(): readonly CaptureSummary[] {
    return this.summaries;
  }

  /** A file source ends by itself: nothing to stop. */
  close(): void {}
}
