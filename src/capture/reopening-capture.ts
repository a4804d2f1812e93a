/**
 * A live capture on one interface that outlives the interface: when the capture stops (the
 * interface was deleted, as a veth is when its pod goes, or went down), it is reopened with
 * backoff, 1 s doubling to 30 s, for as long as the agent runs. Its counters add up across
 * reopenings, so they stay Prometheus counters; whether it captures now is `up`.
 */
import { LiveCapture, type LiveCaptureError, type LiveCaptureOptions } from './live-capture.js';
import type { PacketSink } from './packet-sink.js';

/** What a reopening capture tells its owner (the agent logs it). */
export interface CaptureEvents {
  /** The capture stopped; the first try to reopen it is in `retryInMs`. */
  stopped(error: LiveCaptureError, retryInMs: number): void;
  /** A try to reopen failed; the next is in `retryInMs`. */
  retryFailed(error: LiveCaptureError, retryInMs: number): void;
  /** Capturing again (on `linkType`, a LINKTYPE_ number), after `downMs` without. */
  reopened(linkType: number, downMs: number): void;
}

/** One interface's capture state, and its libpcap counters (pcap_stats) since the agent started. */
export interface CaptureState {
  readonly interface: string;
  readonly up: boolean;
  /** Times the capture was reopened after it stopped. */
  readonly reopens: number;
  readonly received: number;
  readonly droppedByKernel: number;
  readonly droppedByInterface: number;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** The wait before try `attempt` (0 first) to reopen: 1 s, 2 s, 4 s, ... at most 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.min(attempt, 16), MAX_RETRY_MS);
}

export class ReopeningCapture {
  private current: LiveCapture | undefined;
  private retry: NodeJS.Timeout | undefined;
  /**
   * Tries since the capture last ran for MAX_RETRY_MS: a capture that fails again soon after
   * reopening (an interface that flaps) does not go back to 1 s retries.
   */
  private attempt = 0;
  private upSince = 0;
  private downSince = 0;
  private reopens = 0;
  private closed = false;
  private lastError = '';
  // Counters of the captures that stopped.
  private received = 0;
  private droppedByKernel = 0;
  private droppedByInterface = 0;

  /** Opens the capture; throws LiveCaptureError if it cannot (at start, bad input is fatal). */
  constructor(
    private readonly options: LiveCaptureOptions,
    private readonly sink: PacketSink,
    private readonly events: CaptureEvents,
  ) {
    this.current = this.open();
  }

  /** The open capture's LINKTYPE_ number; undefined while down. */
  get linkType(): number | undefined {
    return this.current?.linkType;
  }

  /** Null while capturing, else why not (the error that stopped it). */
  get downReason(): string | null {
    return this.current === undefined ? this.lastError : null;
  }

  state(): CaptureState {
    const now = this.current?.stats();
    return {
      interface: this.options.interface,
      up: this.current !== undefined,
      reopens: this.reopens,
      received: this.received + (now?.received ?? 0),
      droppedByKernel: this.droppedByKernel + (now?.droppedByKernel ?? 0),
      droppedByInterface: this.droppedByInterface + (now?.droppedByInterface ?? 0),
    };
  }

  /** Stops capturing and reopening. Idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.current?.close();
  }

  private open(): LiveCapture {
    const capture = LiveCapture.open(this.options, this.sink, (error) => this.onStopped(capture, error));
    this.upSince = Date.now();
    return capture;
  }

  private onStopped(capture: LiveCapture, error: LiveCaptureError): void {
    const last = capture.stats(); // closed by now: its last counters
    this.received += last.received;
    this.droppedByKernel += last.droppedByKernel;
    this.droppedByInterface += last.droppedByInterface;
    this.current = undefined;
    this.lastError = error.message;
    this.downSince = Date.now();
    if (this.downSince - this.upSince >= MAX_RETRY_MS) this.attempt = 0;
    if (this.closed) return;
    const delay = this.scheduleRetry();
    this.events.stopped(error, delay);
  }

  private scheduleRetry(): number {
    const delay = retryDelayMs(this.attempt++);
    this.retry = setTimeout(() => this.tryReopen(), delay);
    return delay;
  }

  private tryReopen(): void {
    if (this.closed) return;
    try {
      this.current = this.open();
    } catch (err) {
      const error = err as LiveCaptureError;
      this.lastError = error.message;
      this.events.retryFailed(error, this.scheduleRetry());
      return;
    }
    this.reopens++;
    this.events.reopened(this.current.linkType, Date.now() - this.downSince);
  }
}
