import type { NameEvidence } from './endpoint-identity.js';

export interface DnsNameCacheOptions {
  /**
   * Seconds an answer keeps naming its address after its TTL ran out. Clients cache answers
   * longer than their TTL (JVMs, connection pools), so a connection opened a little after expiry
   * still went to the name that was asked for.
   */
  readonly graceSeconds: number;
  /** Addresses remembered; the least recently answered is forgotten past this. */
  readonly maxAddresses: number;
  /** Names remembered per address; the oldest is forgotten past this. */
  readonly maxNamesPerAddress: number;
}

const DEFAULT_DNS_NAME_CACHE_OPTIONS: DnsNameCacheOptions = { graceSeconds: 600, maxAddresses: 100_000, maxNamesPerAddress: 16 };

interface LearntName {
  readonly name: string;
  /** When the answer was first seen, capture seconds. */
  firstSeen: number;
  /** When the latest answer's TTL runs out, capture seconds. */
  expires: number;
}

/**
 * Address -> names, from DNS answers seen in the traffic, with time: a flow is named by the
 * answers seen before it began and still valid then (TTL plus grace). Repeated answers for the
 * same name merge into one span, from the first answer to the last one's expiry. Judging by the flow's start
 * rather than its end is what keeps long-lived connections named after their TTL has passed.
 */
export class DnsNameCache {
  private readonly options: DnsNameCacheOptions;
  /** Map order is least recently answered first, for eviction. */
  private readonly byAddress = new Map<string, LearntName[]>();
  evicted = 0;

  constructor(options: Partial<DnsNameCacheOptions> = {}) {
    this.options = { ...DEFAULT_DNS_NAME_CACHE_OPTIONS, ...options };
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** Records that `name` resolved to `address` at time `at` with `ttl` seconds to live. */
  learn(address: string, name: string, ttl: number, at: number): void {
    const key = name.toLowerCase().replace(/\.$/, '');
    let names = this.byAddress.get(address);
    if (names === undefined) {
      if (this.byAddress.size >= this.options.maxAddresses) {
        const oldest = this.byAddress.keys().next().value as string;
        this.byAddress.delete(oldest);
        this.evicted++;
      }
      names = [];
    } else {
      this.byAddress.delete(address);
    }
    this.byAddress.set(address, names);
    const known = names.find((n) => n.name === key);
    if (known !== undefined) {
      known.firstSeen = Math.min(known.firstSeen, at);
      known.expires = Math.max(known.expires, at + ttl);
      return;
    }
    if (names.length >= this.options.maxNamesPerAddress) names.shift();
    names.push({ name: key, firstSeen: at, expires: at + ttl });
  }

  /** The names `address` had at time `at`. */
  namesAt(address: string, at: number): NameEvidence[] {
    const names = this.byAddress.get(address);
    if (names === undefined) return [];
    const grace = this.options.graceSeconds;
    return names.filter((n) => n.firstSeen <= at && at <= n.expires + grace).map((n) => ({ name: n.name, source: 'dns' as const }));
  }
}
