import { prefixMask } from '../net/cidr.js';

/**
 * Longest-prefix lookup over four-word addresses. One Map per prefix length, keyed by the masked
 * network, so a lookup costs one probe per distinct prefix length present (a handful: /32, /24,
 * /128 ...), however many thousands of blocks the table holds.
 */
export class PrefixTable<T> {
  /** Longest prefix first. */
  private levels: { readonly mappedPrefix: number; readonly blocks: Map<string, T[]> }[] = [];

  /** @param order the order of values within one block (by default, the order added) */
  constructor(private readonly order?: (a: T, b: T) => number) {}

  /** Adds `value` for the block `network`/`mappedPrefix` (prefix over the 128-bit mapped form). */
  add(network: ArrayLike<number>, mappedPrefix: number, value: T): void {
    let level = this.levels.find((l) => l.mappedPrefix === mappedPrefix);
    if (level === undefined) {
      level = { mappedPrefix, blocks: new Map() };
      this.levels = [...this.levels, level].sort((a, b) => b.mappedPrefix - a.mappedPrefix);
    }
    const key = maskedKey(network, mappedPrefix);
    const values = level.blocks.get(key);
    if (values === undefined) level.blocks.set(key, [value]);
    else {
      const order = this.order;
      const at = order === undefined ? -1 : values.findIndex((v) => order(value, v) < 0);
      values.splice(at === -1 ? values.length : at, 0, value);
    }
  }

  /** Removes `value` from the block, if there. */
  remove(network: ArrayLike<number>, mappedPrefix: number, value: T): void {
    const level = this.levels.find((l) => l.mappedPrefix === mappedPrefix);
    if (level === undefined) return;
    const key = maskedKey(network, mappedPrefix);
    const values = level.blocks.get(key)?.filter((v) => v !== value);
    if (values === undefined) return;
    if (values.length > 0) level.blocks.set(key, values);
    else level.blocks.delete(key);
    if (level.blocks.size === 0) this.levels = this.levels.filter((l) => l !== level);
  }

  /** The values of every block containing the address: longest prefix first, then in order. */
  lookup(words: ArrayLike<number>): T[] {
    const found: T[] = [];
    for (const level of this.levels) {
      const values = level.blocks.get(maskedKey(words, level.mappedPrefix));
      if (values !== undefined) found.push(...values);
    }
    return found;
  }
}

/** The masked words as text; words wholly past the prefix are zero once masked, so they are left out. */
function maskedKey(words: ArrayLike<number>, mappedPrefix: number): string {
  let key = '';
  for (let i = 0; i < 4 && 32 * i < mappedPrefix; i++) key += `${(words[i] & prefixMask(mappedPrefix, i)) >>> 0},`;
  return key;
}
