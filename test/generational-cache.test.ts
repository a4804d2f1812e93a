import { describe, expect, it } from 'vitest';
import { GenerationalCache } from '../src/generational-cache.js';

/** Looks `key` up and, on a miss, stores a fresh object for it; returns the object and whether it missed. */
function lookUp(cache: GenerationalCache<number, { key: number }>, key: number): { value: { key: number }; missed: boolean } {
  const cached = cache.get(key);
  if (cached !== undefined) return { value: cached, missed: false };
  const value = { key };
  cache.set(key, value);
  return { value, missed: true };
}

describe('GenerationalCache', () => {
  it('keeps the last one to two generations of entries and drops older ones', () => {
    const cache = new GenerationalCache<string, number>(3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    // Rotations at k3, k6 and k9: old {k6, k7, k8}, young {k9}.
    expect(Array.from({ length: 10 }, (_, i) => cache.get(`k${i}`))).toEqual([
      undefined, undefined, undefined, undefined, undefined, undefined, 6, 7, 8, 9,
    ]);
  });

  it('does not extend the life of an entry found in the old generation', () => {
    const cache = new GenerationalCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // young full: {a, b} becomes the old generation
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4);
    cache.set('e', 5); // young {c, d} becomes old; {a, b} is gone, a's hit notwithstanding
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d'), cache.get('e')]).toEqual([undefined, undefined, 3, 4, 5]);
  });

  it('holds a working set of up to two generations whole: each key misses once, however often it cycles', () => {
    const cache = new GenerationalCache<number, { key: number }>(4);
    const first = new Map<number, { key: number }>();
    let misses = 0;
    for (let round = 0; round < 20; round++) {
      for (let key = 0; key < 8; key++) {
        const { value, missed } = lookUp(cache, key);
        if (missed) misses++;
        if (round === 0) first.set(key, value);
        else expect(value).toBe(first.get(key));
      }
    }
    expect(misses).toBe(8);
  });

  it('beyond two generations, a key cycled through the rest is made again', () => {
    const cache = new GenerationalCache<number, { key: number }>(4);
    for (let key = 0; key < 9; key++) lookUp(cache, key);
    expect(lookUp(cache, 0).missed).toBe(true);
  });

  it('keys objects by identity', () => {
    const cache = new GenerationalCache<object, string>(2);
    const a = {};
    cache.set(a, 'a');
    expect(cache.get(a)).toBe('a');
    expect(cache.get({})).toBeUndefined();
  });
});
