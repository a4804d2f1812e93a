import { grown } from './typed-arrays.js';

const NO_SLOT = -1;

/**
 * Flow keys (protocol, lower endpoint, higher endpoint) stored per slot in flat typed arrays, and
 * an open-addressing hash index over them with linear probing and backward-shift deletion. Keys
 * are canonical (the lower address/port pair first), so both directions of a flow find one slot.
 */
export class FlowKeyIndex {
  /** Per slot: 4 words of the lower address, then 4 of the higher. */
  private addresses: Uint32Array;
  /** Per slot: lower port << 16 | higher port. */
  private ports: Uint32Array;
  private protocols: Uint8Array;
  private hashes: Uint32Array;
  /** Index bucket -> slot + 1 (0 = empty). Sized a power of two, at least twice the capacity. */
  private buckets: Int32Array;
  private mask: number;

  constructor(capacity: number) {
    this.addresses = new Uint32Array(capacity * 8);
    this.ports = new Uint32Array(capacity);
    this.protocols = new Uint8Array(capacity);
    this.hashes = new Uint32Array(capacity);
    this.buckets = new Int32Array(bucketCountFor(capacity));
    this.mask = this.buckets.length - 1;
  }

  static hash(protocol: number, lo: Uint32Array, hi: Uint32Array, ports: number): number {
    let h = Math.imul(protocol ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(h ^ lo[0], 0x85ebca6b);
    h = Math.imul(h ^ lo[1], 0xc2b2ae35);
    h = Math.imul(h ^ lo[2], 0x85ebca6b);
    h = Math.imul(h ^ lo[3], 0xc2b2ae35);
    h = Math.imul(h ^ hi[0], 0x85ebca6b);
    h = Math.imul(h ^ hi[1], 0xc2b2ae35);
    h = Math.imul(h ^ hi[2], 0x85ebca6b);
    h = Math.imul(h ^ hi[3], 0xc2b2ae35);
    h = Math.imul(h ^ ports, 0x9e3779b1);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** The slot holding this key, or -1. */
  find(hash: number, protocol: number, lo: Uint32Array, hi: Uint32Array, ports: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const entry = buckets[b];
      if (entry === 0) return NO_SLOT;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.ports[slot] === ports && this.protocols[slot] === protocol && this.sameAddresses(slot, lo, hi)) {
        return slot;
      }
    }
  }

  insert(slot: number, hash: number, protocol: number, lo: Uint32Array, hi: Uint32Array, ports: number): void {
    const a = slot * 8;
    const addresses = this.addresses;
    addresses[a] = lo[0];
    addresses[a + 1] = lo[1];
    addresses[a + 2] = lo[2];
    addresses[a + 3] = lo[3];
    addresses[a + 4] = hi[0];
    addresses[a + 5] = hi[1];
    addresses[a + 6] = hi[2];
    addresses[a + 7] = hi[3];
    this.ports[slot] = ports;
    this.protocols[slot] = protocol;
    this.hashes[slot] = hash;
    this.place(slot);
  }

  remove(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let hole = this.hashes[slot] & mask;
    while (buckets[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift: pull later entries of the probe run into the hole so lookups stay correct.
    for (let b = (hole + 1) & mask; buckets[b] !== 0; b = (b + 1) & mask) {
      const home = this.hashes[buckets[b] - 1] & mask;
      const distanceToB = (b - home) & mask;
      const distanceToHole = (hole - home) & mask;
      if (distanceToHole <= distanceToB) {
        buckets[hole] = buckets[b];
        hole = b;
      }
    }
    buckets[hole] = 0;
  }

  /** Makes room for `capacity` slots; `liveSlots` are re-indexed. */
  grow(capacity: number, liveSlots: Iterable<number>): void {
    this.addresses = grown(this.addresses, capacity * 8);
    this.ports = grown(this.ports, capacity);
    this.protocols = grown(this.protocols, capacity);
    this.hashes = grown(this.hashes, capacity);
    this.buckets = new Int32Array(bucketCountFor(capacity));
    this.mask = this.buckets.length - 1;
    for (const slot of liveSlots) this.place(slot);
  }

  protocolOf(slot: number): number {
    return this.protocols[slot];
  }

  lowerPortOf(slot: number): number {
    return this.ports[slot] >>> 16;
  }

  higherPortOf(slot: number): number {
    return this.ports[slot] & 0xffff;
  }

  /** The slot's 8 address words (lower then higher) start at this index of `addressWords`. */
  addressWordsAt(slot: number): number {
    return slot * 8;
  }

  get addressWords(): Uint32Array {
    return this.addresses;
  }

  private place(slot: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let b = this.hashes[slot] & mask;
    while (buckets[b] !== 0) b = (b + 1) & mask;
    buckets[b] = slot + 1;
  }

  private sameAddresses(slot: number, lo: Uint32Array, hi: Uint32Array): boolean {
    const a = this.addresses;
    const i = slot * 8;
    return (
      a[i + 3] === lo[3] && a[i + 7] === hi[3] && a[i] === lo[0] && a[i + 1] === lo[1] && a[i + 2] === lo[2] &&
      a[i + 4] === hi[0] && a[i + 5] === hi[1] && a[i + 6] === hi[2]
    );
  }
}

function bucketCountFor(capacity: number): number {
  let n = 16;
  while (n < capacity * 2) n *= 2;
  return n;
}
