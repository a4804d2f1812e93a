/**
 * The IdentityProvider over identity sources: inventories and Kubernetes objects, kept up to date
 * by the sources' upserts and deletes (identity-source.ts). Names learnt from the traffic (DNS
 * answers, TLS SNI) change with time and come per flow, from the Auditor.
 */
import { isInternalAddress } from '../net/cidr.js';
import { formatAddress, parseAddress } from '../net/ip-address.js';
import { GenerationalCache } from '../generational-cache.js';
import type { AddressConflict, AddressHistoryOptions } from './address-history.js';
import type { EndpointIdentity, IdentityProvider, KubernetesObjectIdentity, NameEvidence } from './endpoint-identity.js';
import type { IdentityUpdate, IdentityUpdates, InventoryObject } from './identity-source.js';
import type { Inventory } from './inventory.js';
import { KubernetesIndex, type KubernetesCounts } from './kubernetes-index.js';
import type { KubernetesSnapshot } from './kubernetes-snapshot.js';
import { PrefixTable } from './prefix-table.js';
import { inventoryUpserts, snapshotUpserts } from './snapshot-updates.js';

export interface IdentitySources {
  /** Entries of earlier inventories come first among entries equally specific. */
  readonly inventories?: readonly Inventory[];
  readonly snapshots?: readonly KubernetesSnapshot[];
}

export interface IdentityIndexOptions extends AddressHistoryOptions {
  /** Addresses whose identity is kept ready: between this and twice this many. Default 65536. */
  readonly cacheSize?: number;
  /** Told of each address two live objects claim (counted in `kubernetes.conflicts`). */
  readonly onConflict?: (conflict: AddressConflict) => void;
}

const DEFAULT_CACHE_SIZE = 65536;
/** The time of a lookup without one: after every change applied. */
const LATEST = Number.MAX_VALUE;

/** An address's identity and the times it holds for: flows beginning in [from, until). */
interface CachedIdentity {
  readonly identity: EndpointIdentity;
  readonly from: number;
  readonly until: number;
}

export class IdentityIndex implements IdentityProvider, IdentityUpdates {
  private readonly k8s: KubernetesIndex;
  private readonly inventory = new PrefixTable<InventoryObject>((a, b) => a.rank - b.rank);
  private readonly entries = new Map<string, InventoryObject>();
  /**
   * By the address text as asked, canonical texts only (a change is forgotten by its canonical
   * text). Identities that hold whenever a flow began (every address of an offline run, most of a
   * live one) are kept as they are, so a hit costs what it cost before identities had times;
   * those of addresses whose holders changed are kept with their interval, apart.
   */
  private readonly cache: GenerationalCache<string, EndpointIdentity>;
  private readonly timed: GenerationalCache<string, CachedIdentity>;

  /** Starts with the objects of `sources`, known since ever (an offline run's identities). */
  constructor(sources: IdentitySources = {}, options: IdentityIndexOptions = {}) {
    this.cache = new GenerationalCache(Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE));
    this.timed = new GenerationalCache(Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE));
    this.k8s = new KubernetesIndex(options, options.onConflict);
    this.apply(-Infinity, [...inventoryUpserts(sources.inventories ?? []), ...snapshotUpserts(sources.snapshots ?? []).updates]);
  }

  /** Kubernetes objects held now, and the address conflicts seen. */
  get kubernetes(): KubernetesCounts {
    return this.k8s.counts;
  }

  apply(at: number, updates: readonly IdentityUpdate[]): void {
    let inventoryChanged = false;
    for (const update of updates) {
      if (update.op === 'upsert' ? update.object.kind === 'inventory' : update.kind === 'inventory') {
        this.applyInventory(update);
        inventoryChanged = true;
      }
    }
    const changed = this.k8s.apply(at, updates);
    // An entry's block may hold any number of cached addresses: start again (inventories change by reload, rarely).
    if (inventoryChanged) {
      this.cache.clear();
      this.timed.clear();
      return;
    }
    for (const words of changed) {
      const text = formatAddress(words);
      this.cache.delete(text);
      this.timed.delete(text);
    }
  }

  /**
   * What is known of `address` for a flow that began at `at` (seconds; by default, now): the
   * Kubernetes objects that held the address then, and the inventory entries containing it.
   * Throws a RangeError when `address` is not IPv4 or IPv6 text (flow records always are).
   */
  identify(address: string, at: number = LATEST): EndpointIdentity {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached;
    const timed = this.timed.get(address);
    if (timed !== undefined && at >= timed.from && at < timed.until) return timed.identity;
    const words = wordsOf(address);
    const held = this.k8s.lookup(words, at);
    const identity = this.build(words, held.holders);
    if (identity.address === address) {
      if (held.from === -Infinity && held.until === Infinity) this.cache.set(address, identity);
      else this.timed.set(address, { identity, from: held.from, until: held.until });
    }
    return identity;
  }

  private applyInventory(update: IdentityUpdate): void {
    const old = this.entries.get(update.key);
    if (old !== undefined) for (const block of old.entry.blocks) this.inventory.remove(block.network, block.mappedPrefix, old);
    if (update.op === 'delete' || update.object.kind !== 'inventory') {
      this.entries.delete(update.key);
      return;
    }
    const object = update.object;
    this.entries.set(update.key, object);
    for (const block of object.entry.blocks) this.inventory.add(block.network, block.mappedPrefix, object);
  }

  private build(words: Uint32Array, holders: readonly KubernetesObjectIdentity[]): EndpointIdentity {
    const address = formatAddress(words);
    const found = this.inventory.lookup(words);
    // An entry with several blocks around the address shows once, at its most specific block.
    const entries = found.length === 0 ? NONE : [...new Set(found.map((o) => o.entry))];
    return Object.freeze({
      address,
      internal: isInternalAddress(words),
      // Most addresses of a capture are in no source: share one empty list rather than allocate.
      kubernetes: holders.length === 0 ? NONE : Object.freeze(holders),
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
