/**
 * A live source for the agent's tests: crafted frames pushed by the test, and its health set by
 * it (down with a reason, reopened), where the real one (src/pipeline/libpcap-source.ts) needs
 * root, namespaces and an interface that goes away.
 */
import type { CaptureState } from '../../src/capture/reopening-capture.js';
import { LINKTYPE } from '../../src/frame-builder.js';
import type { LiveSource, SourceSink } from '../../src/pipeline/source.js';

export class FakeSource implements LiveSource {
  readonly drainMs = 0;
  closed = false;
  private sink: SourceSink | undefined;
  private down: string | null = null;
  private reopens = 0;
  private received = 0;

  constructor(readonly name = 'fake0') {}

  async start(sink: SourceSink): Promise<void> {
    this.sink = sink;
  }

  /** Delivers an Ethernet frame captured at `seconds` (now by default), as libpcap would. */
  push(frame: Buffer, seconds = Date.now() / 1000): void {
    if (this.sink === undefined || this.closed) throw new Error(`${this.name}: not started, or closed`);
    this.received++;
    const whole = Math.floor(seconds);
    this.sink.packets.onPacket(frame, 0, frame.length, frame.length, LINKTYPE.Ethernet, whole, Math.round((seconds - whole) * 1e9));
  }

  /** The interface went away: down with `reason` until reopen(). */
  goDown(reason: string): void {
    this.down = reason;
  }

  reopen(): void {
    this.down = null;
    this.reopens++;
  }

  stats(): CaptureState {
    return { interface: this.name, up: this.down === null, reopens: this.reopens, received: this.received, droppedByKernel: 0, droppedByInterface: 0 };
  }

  downReason(): string | null {
    return this.down;
  }

  describe(): Readonly<Record<string, unknown>> {
    return { fake: true };
  }

  close(): void {
    this.closed = true;
  }
}
