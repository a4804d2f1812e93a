/**
 * Where a pipeline's input comes from, as Zeek's PktSrc or netobserv's flow fetcher: capture files
 * (capture-file-source.ts), a live libpcap capture (libpcap-source.ts), and in tests a fake that
 * pushes crafted packets. A source delivers straight into the sink's members: one call per packet,
 * no wrapper between the source and the flow table's decoder.
 */
import type { PacketSink } from '../capture/packet-sink.js';
import type { CaptureState } from '../capture/reopening-capture.js';

/**
 * What a source delivers into. An object of ways in, so that a source of ready-made flow records
 * (the eBPF engine) can deliver through a member of its own beside `packets`.
 */
export interface SourceSink {
  readonly packets: PacketSink;
}

export interface Source<Stats> {
  /**
   * Starts delivering into `sink`. A finite source (files) resolves once it has delivered
   * everything; a live one once it delivers. Throws if it cannot start (bad input, a missing interface).
   */
  start(sink: SourceSink): Promise<void>;
  /** Its counters so far (after close(), the last ones). */
  stats(): Stats;
  /** Stops delivering. Idempotent. */
  close(): void;
}

/** A source that runs until closed, whose health the agent reports (flowaudit_capture_up, /readyz). */
export interface LiveSource extends Source<CaptureState> {
  /** The interface it captures on: the `interface` label of its metrics and log lines. */
  readonly name: string;
  /**
   * How long after the last packet was captured it may still be delivered: at shutdown the agent
   * keeps reading this long before it closes its sources (libpcap hands packets over a block at a
   * time, when a block fills or is 1 s old).
   */
  readonly drainMs: number;
  /** Null while delivering, else why not (the error that stopped it; it is being reopened). */
  downReason(): string | null;
  /** What the agent's "capturing" log line says of it once started (link type, filter, ...). */
  describe(): Readonly<Record<string, unknown>>;
}
