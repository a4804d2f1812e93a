import { describe, expect, it } from 'vitest';
import { DnsNameCache } from '../../src/identity/dns-name-cache.js';

describe('DnsNameCache', () => {
  it('names an address from the time its answer was seen until TTL plus grace', () => {
    const cache = new DnsNameCache({ graceSeconds: 10 });
    cache.learn('203.0.113.7', 'ApigeeConnect.googleapis.com.', 30, 100);
    expect(cache.namesAt('203.0.113.7', 99)).toEqual([]);
    expect(cache.namesAt('203.0.113.7', 100)).toEqual([{ name: 'apigeeconnect.googleapis.com', source: 'dns' }]);
    expect(cache.namesAt('203.0.113.7', 140)).toHaveLength(1);
    expect(cache.namesAt('203.0.113.7', 140.5)).toEqual([]);
    expect(cache.namesAt('203.0.113.8', 100)).toEqual([]);
  });

  it('extends a name when the same answer comes again, and keeps several names per address', () => {
    const cache = new DnsNameCache({ graceSeconds: 0 });
    cache.learn('198.51.100.1', 'a.example', 10, 0);
    cache.learn('198.51.100.1', 'a.example', 10, 50);
    cache.learn('198.51.100.1', 'b.example', 10, 55);
    expect(cache.namesAt('198.51.100.1', 5).map((n) => n.name)).toEqual(['a.example']);
    // Repeated answers merge into one span: the address keeps the name between them.
    expect(cache.namesAt('198.51.100.1', 30).map((n) => n.name)).toEqual(['a.example']);
    expect(cache.namesAt('198.51.100.1', 60.5).map((n) => n.name)).toEqual(['b.example']);
    expect(cache.namesAt('198.51.100.1', 58).map((n) => n.name)).toEqual(['a.example', 'b.example']);
  });

  it('is bounded: the least recently answered address goes first, and the eviction is counted', () => {
    const cache = new DnsNameCache({ maxAddresses: 2, maxNamesPerAddress: 2 });
    cache.learn('10.0.0.1', 'one', 60, 0);
    cache.learn('10.0.0.2', 'two', 60, 1);
    cache.learn('10.0.0.1', 'one', 60, 2); // refreshes 10.0.0.1
    cache.learn('10.0.0.3', 'three', 60, 3);
    expect(cache.size).toBe(2);
    expect(cache.evicted).toBe(1);
    expect(cache.namesAt('10.0.0.2', 3)).toEqual([]);
    expect(cache.namesAt('10.0.0.1', 3)).toHaveLength(1);
    cache.learn('10.0.0.3', 'x', 60, 4);
    cache.learn('10.0.0.3', 'y', 60, 4);
    expect(cache.namesAt('10.0.0.3', 4).map((n) => n.name)).toEqual(['x', 'y']);
  });
});
