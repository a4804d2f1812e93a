/** Buffers are carved from slabs of this size: one allocation per many buffers. */
const SLAB_BYTES = 1 << 20;

/**
 * A bounded pool of payload-prefix buffers. Flows borrow one per direction when their first
 * payload arrives and return it when they are emitted, so memory for prefixes is at most
 * `maxBuffers * limit` however many flows are live; a flow that finds the pool empty keeps no
 * prefix, and that is counted. Buffers are views into 1 MiB slabs allocated as the pool grows:
 * allocating each one alone cost more than the rest of the audit (bench/RESULTS.md).
 */
export class PayloadPool {
  private readonly buffers: Buffer[] = [];
  private readonly free: number[] = [];
  private slab: Buffer = Buffer.alloc(0);
  private slabUsed = 0;
  exhausted = 0;

  constructor(readonly limit: number, private readonly maxBuffers: number) {}

  /** A buffer id + 1, or 0 when the pool is exhausted. */
  take(): number {
    const id = this.free.pop();
    if (id !== undefined) return id + 1;
    if (this.buffers.length < this.maxBuffers) {
      if (this.slabUsed + this.limit > this.slab.length) {
        this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, this.limit));
        this.slabUsed = 0;
      }
      this.buffers.push(this.slab.subarray(this.slabUsed, this.slabUsed + this.limit));
      this.slabUsed += this.limit;
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
