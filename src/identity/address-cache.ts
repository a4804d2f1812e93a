/**
 * A bounded map from address text to a computed value, in two generations: new entries go to the
 * young one; when it is full, it becomes the old one and the previous old one is dropped. A hit
 * in the old generation moves back to the young one, so busy addresses survive rotations.
 *
 * Evicting one oldest key at a time (`map.delete(map.keys().next().value)`) looks cheaper but is
 * not: V8 keeps deleted Map slots until it rehashes, and finding the first live key walks them,
 * which made a long capture's lookups slower and slower.
 */
export class AddressCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** Holds at most `2 * generationSize` entries. */
  constructor(private readonly generationSize: number) {}

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}
