/**
 * Inventory files and Kubernetes snapshots as an identity source. start() delivers what the files
 * hold as known since ever; reload() reads them again and delivers only the difference, as
 * upserts of what is new or changed and deletes of what is gone, at the time of the reload: the
 * index keeps its caches for every address the change leaves alone, and flows that began before
 * the reload keep the identities they began with.
 */
import type { IdentitySource, IdentitySourceStatus, IdentityUpdate, IdentityUpdates, IdentityObjectKind } from './identity-source.js';
import { loadInventory, type Inventory } from './inventory.js';
import { loadKubernetesSnapshot } from './kubernetes-snapshot.js';
import { inventoryUpserts, snapshotUpserts } from './snapshot-updates.js';

export interface IdentityFiles {
  readonly inventory: readonly string[];
  readonly k8sSnapshot: readonly string[];
}

/** Checks inventories before anything of them is applied (the CLI refuses components the matrix lacks); throws to refuse. */
export type InventoryCheck = (inventories: readonly Inventory[]) => void;

export class FileIdentitySource implements IdentitySource {
  private updates: IdentityUpdates | undefined;
  /** What was delivered: key -> kind and the object's content as text, to tell a change. */
  private delivered = new Map<string, { readonly kind: IdentityObjectKind; readonly content: string }>();
  /** Wall-clock seconds of the last start or reload that loaded. */
  private loadedAt: number | null = null;

  /** @param clock seconds, the clock of flow times (live capture: the wall clock) */
  constructor(
    private readonly files: IdentityFiles,
    private check: InventoryCheck = () => {},
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {}

  /** Reads the files and delivers their state; throws SourcePositionError (FILE:LINE:COL) on the first bad one. */
  start(updates: IdentityUpdates): void {
    const state = this.read();
    this.updates = updates;
    this.deliver(-Infinity, state);
    this.loadedAt = Date.now() / 1000;
  }

  /**
   * Reads the files again and delivers what changed, checked by `check` from now on. Throws, and
   * delivers nothing, when a file does not load or the check refuses it. Returns the updates delivered.
   */
  reload(check: InventoryCheck = this.check): number {
    if (this.updates === undefined) throw new Error('FileIdentitySource.reload() before start()');
    const previous = this.check;
    this.check = check;
    try {
      const delivered = this.deliver(this.clock(), this.read());
      this.loadedAt = Date.now() / 1000;
      return delivered;
    } catch (err) {
      this.check = previous;
      throw err;
    }
  }

  close(): void {
    this.updates = undefined;
  }

  /** Files are read whole or not at all: up once loaded; a reload that fails keeps the last state and is counted apart (flowaudit_rules_reloads_total). */
  status(): IdentitySourceStatus {
    const objects = new Map<IdentityObjectKind, number>();
    for (const { kind } of this.delivered.values()) objects.set(kind, (objects.get(kind) ?? 0) + 1);
    const synced = this.loadedAt !== null;
    return { source: 'files', up: synced, downReason: synced ? null : 'not loaded yet', synced, lastSync: this.loadedAt, restarts: new Map(), objects, rejected: new Map() };
  }

  private read(): IdentityUpdate[] {
    const inventories = this.files.inventory.map((file) => loadInventory(file));
    this.check(inventories);
    const snapshots = this.files.k8sSnapshot.map((file) => loadKubernetesSnapshot(file));
    return [...inventoryUpserts(inventories), ...snapshotUpserts(snapshots).updates];
  }

  /** Delivers the upserts of `state` that differ from what was delivered, and deletes of what it lacks. */
  private deliver(at: number, state: readonly IdentityUpdate[]): number {
    const next = new Map<string, { readonly kind: IdentityObjectKind; readonly content: string }>();
    const changes: IdentityUpdate[] = [];
    for (const update of state) {
      if (update.op !== 'upsert') continue;
      const kept = { kind: update.object.kind, content: JSON.stringify(update.object, wordsAsArrays) };
      next.set(update.key, kept);
      if (this.delivered.get(update.key)?.content !== kept.content) changes.push(update);
    }
    for (const [key, { kind }] of this.delivered) if (!next.has(key)) changes.push({ op: 'delete', key, kind });
    this.delivered = next;
    if (changes.length > 0) this.updates?.apply(at, changes);
    return changes.length;
  }
}

/** Addresses (Uint32Array) as plain arrays in the content text. */
function wordsAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Uint32Array ? Array.from(value) : value;
}
