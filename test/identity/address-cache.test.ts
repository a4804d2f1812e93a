import { describe, expect, it } from 'vitest';
import { AddressCache } from '../../src/identity/address-cache.js';

describe('AddressCache', () => {
  it('keeps two generations and moves old hits back to the young one', () => {
    const cache = new AddressCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // young full: {a, b} becomes the old generation
    expect(cache.get('a')).toBe(1); // promoted: young {c, a}
    cache.set('d', 4); // young full again: old {c, a}, young {d}; b is gone
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
  });

  it('forgets a deleted key in either generation', () => {
    const cache = new AddressCache<number>(1);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    cache.delete('b');
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, undefined]);
  });
});
