/**
 * The upserts that give an index the state of inventory files and Kubernetes snapshots: what an
 * offline run starts from, and what a reload is compared with (file-identity-source.ts).
 */
import type { IdentityUpdate } from './identity-source.js';
import type { Inventory } from './inventory.js';
import type { NodeObject, PodObject, ServiceObject } from './kubernetes-objects.js';
import type { KubernetesSnapshot } from './kubernetes-snapshot.js';
import { sameWords } from './address-history.js';

/** What reading several snapshots as one found, beside the objects. */
export interface SnapshotFacts {
  /** Objects found in more than one snapshot (by kind, namespace and name); the first one read is kept. */
  readonly duplicates: number;
  /** Items of other kinds, over all snapshots: how many of each. */
  readonly skipped: ReadonlyMap<string, number>;
  /** True when no snapshot held Node objects and nodes were made up from pods' hostIP and nodeName. */
  readonly nodesSynthesized: boolean;
}

/** Upserts of every entry, keyed by file and entry name, ranked in file order then entry order. */
export function inventoryUpserts(inventories: readonly Inventory[]): IdentityUpdate[] {
  const updates: IdentityUpdate[] = [];
  for (const inventory of inventories) {
    for (const entry of inventory.entries) {
      updates.push({ op: 'upsert', key: `${inventory.file}#${entry.identity.name}`, object: { kind: 'inventory', entry, rank: updates.length } });
    }
  }
  return updates;
}

/** Upserts of the snapshots' nodes, then pods, then Services, each once and in file order. */
export function snapshotUpserts(snapshots: readonly KubernetesSnapshot[]): { readonly updates: IdentityUpdate[]; readonly facts: SnapshotFacts } {
  const seen = new Set<string>();
  let duplicates = 0;
  const firstRead = <T extends PodObject | ServiceObject | NodeObject>(object: T): boolean => {
    const name = objectName(object);
    if (seen.has(name)) {
      duplicates++;
      return false;
    }
    seen.add(name);
    return true;
  };
  const pods: PodObject[] = [];
  const services: ServiceObject[] = [];
  const nodes: NodeObject[] = [];
  const skipped = new Map<string, number>();
  for (const snapshot of snapshots) {
    pods.push(...snapshot.pods.filter(firstRead));
    services.push(...snapshot.services.filter(firstRead));
    nodes.push(...snapshot.nodes.filter(firstRead));
    for (const [type, count] of snapshot.skipped) skipped.set(type, (skipped.get(type) ?? 0) + count);
  }
  const known = nodes.length > 0 ? nodes : synthesizeNodes(pods);
  const updates = [...known, ...pods, ...services].map((object): IdentityUpdate => ({ op: 'upsert', key: kubernetesKey(object), object }));
  return { updates, facts: { duplicates, skipped, nodesSynthesized: nodes.length === 0 && known.length > 0 } };
}

/** An object's key: its UID, or where a snapshot has none, its kind, namespace and name. */
export function kubernetesKey(object: PodObject | ServiceObject | NodeObject): string {
  return object.uid ?? objectName(object);
}

function objectName(object: PodObject | ServiceObject | NodeObject): string {
  const { namespace, name } = object.kind === 'service' ? object : object.identity;
  return namespace === undefined ? `${object.kind}/${name}` : `${object.kind}/${namespace}/${name}`;
}

/**
 * Without Node objects (only `kubectl get pods,services` was saved), the nodes are still known from
 * the pods: each pod names its node and that node's address. Labels are unknown, so empty.
 */
function synthesizeNodes(pods: readonly PodObject[]): NodeObject[] {
  const addresses = new Map<string, Uint32Array[]>();
  for (const pod of pods) {
    const name = pod.identity.nodeName;
    if (name === undefined || pod.hostIps.length === 0) continue;
    const known = addresses.get(name) ?? [];
    for (const words of pod.hostIps) if (!known.some((w) => sameWords(w, words))) known.push(words);
    addresses.set(name, known);
  }
  return [...addresses].map(([name, known]) => ({
    kind: 'node',
    identity: Object.freeze({ resource: 'node', name, labels: Object.freeze({}) }),
    addresses: known,
  }));
}
