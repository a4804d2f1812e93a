/**
 * A bounded pool of payload-prefix buffers. Flows borrow one per direction when their first
 * payload arrives and return it when they are emitted, so memory for prefixes is at most
 * `maxBuffers * limit` however many flows are live; a flow that finds the pool empty keeps no
 * prefix, and that is counted.
 */
export class PayloadPool {
  private readonly buffers: Buffer[] = [];
  private readonly free: number[] = [];
  exhausted = 0;

  constructor(readonly limit: number, private readonly maxBuffers: number) {}

  /** A buffer id + 1, or 0 when the pool is exhausted. */
  take(): number {
    const id = this.free.pop();
    if (id !== undefined) return id + 1;
    if (this.buffers.length < this.maxBuffers) {
      this.buffers.push(Buffer.allocUnsafe(this.limit));
      return this.buffers.length;
    }
    this.exhausted++;
    return 0;
  }

  get(idPlusOne: number): Buffer {
    return this.buffers[idPlusOne - 1];
  }

  give(idPlusOne: number): void {
    this.free.push(idPlusOne - 1);
  }
}
