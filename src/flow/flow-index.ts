import { type FlowSlots, W_ADDRESS, W_HASH, W_PORTS, W_META, META_PROTOCOL_MASK, WORDS } from './flow-slots.js';

export const NO_SLOT = -1;

/**
 * Open-addressing hash index from flow key to slot: linear probing, backward-shift deletion.
 * Each bucket holds the slot and its key's hash side by side, so probing past other keys never
 * touches their slot records; the key itself lives in the slot record (addresses, ports,
 * protocol), read once the hash matches.
 */
export class FlowIndex {
  /**
   * Pairs [slot + 1 (0 = empty), hash], one pair a bucket; the bucket count is a power of two, at
   * least twice the slot capacity.
   */
  private buckets: Int32Array;
  private mask: number;

  constructor(private readonly slots: FlowSlots) {
    this.buckets = new Int32Array(2 * bucketCountFor(slots.capacity));
    this.mask = (this.buckets.length >> 1) - 1;
  }

  static hash(protocol: number, lo: Int32Array, hi: Int32Array, ports: number): number {
    let h = Math.imul(protocol ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(h ^ lo[3], 0x85ebca6b);
    h = Math.imul(h ^ hi[3], 0xc2b2ae35);
    h = Math.imul(h ^ ports, 0x85ebca6b);
    // IPv4-mapped addresses have constant upper words: fold them in only when they vary.
    if (lo[2] !== 0xffff || hi[2] !== 0xffff) {
      h = Math.imul(h ^ lo[0], 0xc2b2ae35);
      h = Math.imul(h ^ lo[1], 0x85ebca6b);
      h = Math.imul(h ^ lo[2], 0xc2b2ae35);
      h = Math.imul(h ^ hi[0], 0x85ebca6b);
      h = Math.imul(h ^ hi[1], 0xc2b2ae35);
      h = Math.imul(h ^ hi[2], 0x85ebca6b);
    }
    return h ^ (h >>> 15);
  }

  /** The slot holding this key, or NO_SLOT. */
  find(hash: number, protocol: number, lo: Int32Array, hi: Int32Array, ports: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    const w = this.slots.words;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const entry = buckets[2 * b];
      if (entry === 0) return NO_SLOT;
      if (buckets[2 * b + 1] !== hash) continue;
      const s = (entry - 1) * WORDS;
      if (
        w[s + W_PORTS] === ports &&
        (w[s + W_META] & META_PROTOCOL_MASK) === protocol &&
        w[s + W_ADDRESS + 3] === lo[3] &&
        w[s + W_ADDRESS + 7] === hi[3] &&
        w[s + W_ADDRESS] === lo[0] &&
        w[s + W_ADDRESS + 1] === lo[1] &&
        w[s + W_ADDRESS + 2] === lo[2] &&
        w[s + W_ADDRESS + 4] === hi[0] &&
        w[s + W_ADDRESS + 5] === hi[1] &&
        w[s + W_ADDRESS + 6] === hi[2]
      ) {
        return entry - 1;
      }
    }
  }

  /** Indexes a slot whose key words are already written. */
  insert(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    const hash = this.slots.words[slot * WORDS + W_HASH];
    let b = hash & mask;
    while (buckets[2 * b] !== 0) b = (b + 1) & mask;
    buckets[2 * b] = slot + 1;
    buckets[2 * b + 1] = hash;
  }

  remove(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let hole = this.slots.words[slot * WORDS + W_HASH] & mask;
    while (buckets[2 * hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward shift: move later members of the probe run into the hole so none becomes unreachable.
    for (let b = (hole + 1) & mask; buckets[2 * b] !== 0; b = (b + 1) & mask) {
      const home = buckets[2 * b + 1] & mask;
      if (((hole - home) & mask) <= ((b - home) & mask)) {
        buckets[2 * hole] = buckets[2 * b];
        buckets[2 * hole + 1] = buckets[2 * b + 1];
        hole = b;
      }
    }
    buckets[2 * hole] = 0;
  }

  /** Re-sizes the buckets for the slots' new capacity and re-indexes the live slots. */
  rebuild(liveSlots: readonly number[]): void {
    this.buckets = new Int32Array(2 * bucketCountFor(this.slots.capacity));
    this.mask = (this.buckets.length >> 1) - 1;
    for (const slot of liveSlots) this.insert(slot);
  }
}

function bucketCountFor(capacity: number): number {
  let n = 16;
  while (n < capacity * 2) n *= 2;
  return n;
}
