/**
 * Identity sources and the updates they deliver. A source (inventory files, Kubernetes snapshots,
 * a Kubernetes watch) hands the index upserts and deletes of its objects, each keyed by what names
 * the object for that source: a Kubernetes object's UID (namespace and name where a snapshot has
 * no UID), an inventory entry's file and name. The index applies a batch as one change, at one
 * time, so that what depends on several objects (a Service's selected pods, a node's hostNetwork
 * pods) is worked out once per batch and a reload is never seen half applied.
 */
import type { InventoryEntry } from './inventory-entry.js';
import type { NodeObject, PodObject, ServiceObject } from './kubernetes-objects.js';

/** An inventory entry, with its place among every inventory's entries (file order, then entry order). */
export interface InventoryObject {
  readonly kind: 'inventory';
  readonly entry: InventoryEntry;
  /** Among entries equally specific for an address, the lower rank comes first. */
  readonly rank: number;
}

export type IdentityObject = PodObject | ServiceObject | NodeObject | InventoryObject;
export type IdentityObjectKind = IdentityObject['kind'];

export type IdentityUpdate =
  | { readonly op: 'upsert'; readonly key: string; readonly object: IdentityObject }
  | { readonly op: 'delete'; readonly key: string; readonly kind: IdentityObjectKind };

export interface IdentityUpdates {
  /**
   * Applies a batch of updates as of `at` (seconds, the clock of flow times; -Infinity for a
   * state known to hold since ever, such as the snapshots an offline run starts from).
   */
  apply(at: number, updates: readonly IdentityUpdate[]): void;
}

export interface IdentitySource {
  /** Delivers the source's current state, then its changes as they happen, until close(). */
  start(updates: IdentityUpdates): void | Promise<void>;
  close(): void;
  /** Its health and what it holds, for metrics and /readyz. */
  status(): IdentitySourceStatus;
}

/** A source's health, read at each scrape (src/export/identity-metrics.ts). */
export interface IdentitySourceStatus {
  /** The `source` label: `files` (inventories and snapshots), `kubernetes` (the API). */
  readonly source: string;
  /** False until its first whole state was delivered, and while it cannot follow its changes. */
  readonly up: boolean;
  /** Why it is down (null when up): what /readyz says. */
  readonly downReason: string | null;
  /** True once its whole state was delivered at least once: down after that, the index keeps the last state. */
  readonly synced: boolean;
  /** Wall-clock seconds its state was last known current; null before its first sync. */
  readonly lastSync: number | null;
  /** Times it started following a resource again after losing it, by resource (`pods`). */
  readonly restarts: ReadonlyMap<string, number>;
  /** Objects it holds now, by kind. */
  readonly objects: ReadonlyMap<IdentityObjectKind, number>;
  /** Objects it could not read (a field of the wrong type, an address that does not parse), by resource; counted, logged, not applied. */
  readonly rejected: ReadonlyMap<string, number>;
}
