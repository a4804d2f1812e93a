/**
 * Where a pipeline's input comes from, as Zeek's PktSrc or netobserv's flow fetcher: capture files
 * (capture-file-source.ts), a live libpcap capture (libpcap-source.ts), the eBPF engine's loader
 * (src/engine/loader-supervisor.ts), and in tests a fake that pushes crafted packets. A source
 * delivers straight into the sink's members: one call per packet or loader event, no wrapper
 * between the source and the flow table.
 */
import type { PacketSink } from '../capture/packet-sink.js';
import type { CaptureState } from '../capture/reopening-capture.js';
import type { LoaderEventSink } from '../engine/loader-events.js';
import type { LoaderSupervisorStats } from '../engine/loader-supervisor.js';

/**
 * What a source delivers into, one way in per kind of input: packets (files, libpcap), and the
 * eBPF loader's decoded events (flows counted in the kernel and their first payload bytes), which
 * the pipeline maps into the same flow table the packets feed.
 */
export interface SourceSink {
  readonly packets: PacketSink;
  readonly loaderEvents: LoaderEventSink;
}

export interface Source<Stats> {
  /**
   * Starts delivering into `sink`. A finite source (files) resolves once it has delivered
   * everything; a live one once it delivers. Throws if it cannot start (bad input, a missing interface).
   */
  start(sink: SourceSink): Promise<void>;
  /** Its counters so far (after close(), the last ones). */
  stats(): Stats;
  /**
   * Stops delivering. Idempotent. A source that still has input on its way (the loader's last
   * report of every flow) returns a promise that resolves once it is delivered.
   */
  close(): void | Promise<void>;
}

/** What a live source counts: a libpcap capture's state, or the eBPF engine's loader (`engine: 'ebpf'`). */
export type LiveSourceStats = CaptureState | LoaderSupervisorStats;

/**
 * A source that runs until closed, whose health the agent reports (flowaudit_capture_up or
 * flowaudit_engine_loader_up, /readyz).
 */
export interface LiveSource extends Source<LiveSourceStats> {
  /** The interface it captures on (`ebpf` for the engine): the `interface` label of its metrics and log lines. */
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
