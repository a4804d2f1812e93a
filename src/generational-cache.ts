/**
 * A bounded map in two generations: new entries go to the young one; when it is full, it becomes
 * the old one and the previous old one is dropped. An entry lives for between one and two
 * generations' worth of new entries, and a working set of up to twice the generation size stays
 * whole without a single insertion once it is in.
 *
 * A hit in the old generation is not moved back to the young one. It was, so that busy keys would
 * survive rotations, but then a working set just larger than one generation (a flood from 66,037
 * addresses against 65,536) re-inserts every key it touches and rebuilds the young Map from empty
 * every generation: about 3.5 MB of discarded hash tables per rotation, in V8's large-object
 * space, which only a full GC frees (bench/RESULTS.md). A busy key now costs one rebuild per two
 * generations of new keys instead.
 *
 * Evicting one oldest key at a time (`map.delete(map.keys().next().value)`) looks cheaper but is
 * not: V8 keeps deleted Map slots until it rehashes, and finding the first live key walks them,
 * which made a long capture's lookups slower and slower. Clearing one whole map at a bound is
 * worse: with just more keys than the bound every key is made again after each clear.
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** Holds at most `2 * generationSize` entries. */
  constructor(private readonly generationSize: number) {}

  get(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** Forgets `key` (its value changed at the source). */
  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
}
