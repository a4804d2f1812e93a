import type { LiveCaptureOptions } from '../capture/live-capture.js';
import { ReopeningCapture, type CaptureEvents, type CaptureState } from '../capture/reopening-capture.js';
import type { LiveSource, SourceSink } from './source.js';

/**
 * libpcap (TPACKET_V3) hands packets over a block at a time, when a block fills or after its 1 s
 * timeout: at shutdown packets captured this long ago may still be on their way.
 */
const BLOCK_TIMEOUT_MS = 1100;

/** A live capture on one interface, reopened with backoff when the interface goes away (ReopeningCapture). */
export class LibpcapSource implements LiveSource {
  readonly drainMs = BLOCK_TIMEOUT_MS;
  private capture: ReopeningCapture | undefined;

  constructor(private readonly options: LiveCaptureOptions, private readonly events: CaptureEvents) {}

  get name(): string {
    return this.options.interface;
  }

  /** Opens the capture; throws LiveCaptureError if it cannot (at start, a bad interface is fatal). */
  async start(sink: Pick<SourceSink, 'packets'>): Promise<void> {
    this.capture = new ReopeningCapture(this.options, sink.packets, this.events);
  }

  stats(): CaptureState {
    return this.capture?.state() ?? { interface: this.name, up: false, reopens: 0, received: 0, droppedByKernel: 0, droppedByInterface: 0 };
  }

  downReason(): string | null {
    return this.capture === undefined ? 'not started' : this.capture.downReason;
  }

  describe(): Readonly<Record<string, unknown>> {
    return { linkType: this.capture?.linkType, filter: this.options.filter, snaplen: this.options.snaplen };
  }

  close(): void {
    this.capture?.close();
  }
}
