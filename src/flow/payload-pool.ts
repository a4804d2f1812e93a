/** Buffers are carved from slabs of this size: one allocation per many buffers. */
const SLAB_BYTES = 1 << 20;

/**
 * A bounded pool of payload-prefix buffers. Flows borrow one per direction when their first
 * payload arrives and return it when they are emitted, so memory for prefixes is at most
 * `maxBuffers * limit` however many flows are live; a flow that finds the pool empty keeps no
 * prefix, and that is counted. A buffer is a stretch of `limit` bytes in one of the 1 MiB slabs
 * allocated as the pool grows, named by its id: allocating each one alone cost more than the rest
 * of the audit, and even a view object per buffer cost 96 bytes and a cache miss per copy
 * (bench/RESULTS.md). Callers write through `slabOf(id)` at `offsetOf(id)`.
 */
export class PayloadPool {
  private readonly slabs: Buffer[] = [];
  private readonly perSlab: number;
  /** Buffers handed out at least once: ids below it exist. */
  private made = 0;
  private readonly free: number[] = [];
  exhausted = 0;

  constructor(readonly limit: number, private readonly maxBuffers: number) {
    this.perSlab = Math.max(1, Math.floor(SLAB_BYTES / limit));
  }

  /** A buffer id + 1, or 0 when the pool is exhausted. */
  take(): number {
    const id = this.free.pop();
    if (id !== undefined) return id + 1;
    if (this.made < this.maxBuffers) {
      if (this.made === this.slabs.length * this.perSlab) this.slabs.push(Buffer.allocUnsafeSlow(this.perSlab * this.limit));
      return ++this.made;
    }
    this.exhausted++;
    return 0;
  }

  /** The slab holding buffer `idPlusOne`. */
  slabOf(idPlusOne: number): Buffer {
    return this.slabs[((idPlusOne - 1) / this.perSlab) | 0];
  }

  /** Where buffer `idPlusOne` starts in its slab. */
  offsetOf(idPlusOne: number): number {
    return ((idPlusOne - 1) % this.perSlab) * this.limit;
  }

  give(idPlusOne: number): void {
    this.free.push(idPlusOne - 1);
  }
}
