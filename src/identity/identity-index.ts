/**
 * The offline IdentityProvider: inventories and Kubernetes snapshots combined. Names learnt from
 * the traffic (DNS answers, TLS SNI) change with time and come per flow, from the Auditor.
 */
import { isInternalAddress } from '../decode/cidr.js';
import { formatAddress, parseAddress } from '../decode/ip-address.js';
import { GenerationalCache } from '../generational-cache.js';
import type { EndpointIdentity, IdentityProvider, NameEvidence } from './endpoint-identity.js';
import type { Inventory, InventoryEntry } from './inventory.js';
import { KubernetesIndex, type KubernetesSummary } from './kubernetes-index.js';
import type { KubernetesSnapshot } from './kubernetes-snapshot.js';
import { PrefixTable } from './prefix-table.js';

export interface IdentitySources {
  /** Entries of earlier inventories come first among entries equally specific. */
  readonly inventories?: readonly Inventory[];
  readonly snapshots?: readonly KubernetesSnapshot[];
}

export interface IdentityIndexOptions {
  /** Addresses whose identity is kept ready: between this and twice this many. Default 65536. */
  readonly cacheSize?: number;
}

const DEFAULT_CACHE_SIZE = 65536;

export class IdentityIndex implements IdentityProvider {
  readonly kubernetes: KubernetesSummary;
  private readonly k8s: KubernetesIndex;
  private readonly inventory = new PrefixTable<InventoryEntry>();
  /** By the address text as asked: a flow's endpoints repeat far more often than new ones appear. */
  private readonly cache: GenerationalCache<string, EndpointIdentity>;

  constructor(sources: IdentitySources = {}, options: IdentityIndexOptions = {}) {
    this.cache = new GenerationalCache(Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE));
    this.k8s = new KubernetesIndex(sources.snapshots ?? []);
    this.kubernetes = this.k8s.summary;
    for (const inventory of sources.inventories ?? []) {
      for (const entry of inventory.entries) for (const block of entry.blocks) this.inventory.add(block.network, block.mappedPrefix, entry);
    }
  }

  /** Throws a RangeError when `address` is not IPv4 or IPv6 text (flow records always are). */
  identify(address: string): EndpointIdentity {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached;
    const identity = this.build(wordsOf(address));
    this.cache.set(address, identity);
    return identity;
  }

  private build(words: Uint32Array): EndpointIdentity {
    const address = formatAddress(words);
    const kubernetes = this.k8s.lookup(words);
    // An entry with several blocks around the address shows once, at its most specific block.
    const entries = [...new Set(this.inventory.lookup(words))];
    return Object.freeze({
      address,
      internal: isInternalAddress(words),
      // Most addresses of a capture are in no source: share one empty list rather than allocate.
      kubernetes: kubernetes.length === 0 ? NONE : Object.freeze(kubernetes),
      inventory: entries.length === 0 ? NONE : Object.freeze(entries.map((e) => e.identity)),
      names: entries.length === 0 ? NONE : Object.freeze(uniqueNames(entries.flatMap((e) => e.names))),
    });
  }
}

const NONE: readonly never[] = Object.freeze([]);

function uniqueNames(names: readonly NameEvidence[]): NameEvidence[] {
  const unique: NameEvidence[] = [];
  for (const evidence of names) {
    if (!unique.some((n) => n.name === evidence.name && n.source === evidence.source)) unique.push(evidence);
  }
  return unique;
}

function wordsOf(address: string): Uint32Array {
  const words = parseAddress(address);
  if (words === null) throw new RangeError(`not an IP address: "${address}"`);
  return words;
}
