/**
 * Kubernetes objects by address, kept up to date by upserts and deletes: pods at their pod IPs,
 * hostNetwork pods and nodes at the node addresses, Services at their ClusterIPs with the pods
 * they select. Each address keeps who held it since when (address-history.ts), so a flow is named
 * by the objects there when it began.
 *
 * What an object's placement depends on beyond itself is worked out again at the end of each
 * batch, only where it may have changed: the Services whose selector fits a pod that changed
 * (under its old labels or its new), and the hostNetwork pods of a node that changed.
 */
import { AddressHistory, addressKey, sameWords, type AddressConflict, type AddressHistoryOptions, type HoldersAt } from './address-history.js';
import type { KubernetesObjectIdentity } from './endpoint-identity.js';
import type { IdentityUpdate } from './identity-source.js';
import type { NodeObject, PodObject, ServiceObject } from './kubernetes-objects.js';

export interface KubernetesCounts {
  /** Objects held now, finished pods included. */
  readonly pods: number;
  readonly services: number;
  readonly nodes: number;
  /** Times two live objects claimed one address (nodes and their hostNetwork pods share theirs). */
  readonly conflicts: number;
}

interface Placement {
  readonly identity: KubernetesObjectIdentity;
  readonly addresses: readonly Uint32Array[];
  readonly shared: boolean;
  readonly weak: boolean;
}

export class KubernetesIndex {
  private readonly history: AddressHistory;
  private readonly pods = new Map<string, PodObject>();
  private readonly services = new Map<string, ServiceObject>();
  private readonly nodes = new Map<string, NodeObject>();
  /** Node name -> key. */
  private readonly nodeKeys = new Map<string, string>();
  private readonly podsByNamespace = new Map<string, Set<string>>();
  private readonly servicesByNamespace = new Map<string, Set<string>>();
  private readonly hostNetworkPodsByNode = new Map<string, Set<string>>();
  /** By kind and key (`pod/KEY`): where each object is placed now, as what. */
  private readonly placements = new Map<string, Placement>();
  /** Within a batch: Services and node names whose dependents are to be placed again, and the address keys changed. */
  private readonly dirtyServices = new Set<string>();
  private readonly dirtyNodes = new Set<string>();
  private touched = new Set<string>();

  constructor(options: AddressHistoryOptions = {}, onConflict?: (conflict: AddressConflict) => void) {
    this.history = new AddressHistory(options, onConflict);
  }

  get counts(): KubernetesCounts {
    return { pods: this.pods.size, services: this.services.size, nodes: this.nodes.size, conflicts: this.history.conflicts };
  }

  /** Applies the Kubernetes updates of a batch (others are left alone); returns the addresses whose holders changed. */
  apply(at: number, updates: readonly IdentityUpdate[]): Uint32Array[] {
    this.touched = new Set();
    for (const update of updates) {
      if (update.op === 'upsert') {
        const { key, object } = update;
        if (object.kind === 'pod') this.upsertPod(key, object, at);
        else if (object.kind === 'service') this.upsertService(key, object);
        else if (object.kind === 'node') this.upsertNode(key, object, at);
      } else if (update.kind === 'pod') this.deletePod(update.key, at);
      else if (update.kind === 'service') this.deleteService(update.key, at);
      else if (update.kind === 'node') this.deleteNode(update.key, at);
    }
    for (const name of this.dirtyNodes) for (const key of this.hostNetworkPodsByNode.get(name) ?? []) this.placePod(key, at);
    for (const key of this.dirtyServices) if (this.services.has(key)) this.placeService(key, at);
    this.dirtyNodes.clear();
    this.dirtyServices.clear();
    if (Number.isFinite(at)) for (const id of this.history.expire(at)) this.touched.add(id);
    const changed: Uint32Array[] = [];
    for (const id of this.touched) {
      const words = this.history.wordsOf(id);
      changed.push(words ?? Uint32Array.from(id.split(',').map(Number)));
    }
    return changed;
  }

  /** The objects at the address at time `at`: nodes first, then pods, then Services, each in the order placed. */
  lookup(words: ArrayLike<number>, at: number): HoldersAt {
    return this.history.holdersAt(words, at);
  }

  private upsertPod(key: string, pod: PodObject, at: number): void {
    const old = this.pods.get(key);
    const identity = old !== undefined && sameIdentity(old.identity, pod.identity) ? old.identity : pod.identity;
    if (old !== undefined && identity === old.identity && old.terminated === pod.terminated && sameList(old.podIps, pod.podIps) && sameList(old.hostIps, pod.hostIps)) return;
    if (old !== undefined) this.forgetPod(key, old);
    const kept: PodObject = identity === pod.identity ? pod : { ...pod, identity };
    this.pods.set(key, kept);
    add(this.podsByNamespace, identity.namespace ?? '', key);
    if (identity.hostNetwork && identity.nodeName !== undefined) add(this.hostNetworkPodsByNode, identity.nodeName, key);
    this.markServicesOf(kept);
    this.placePod(key, at);
  }

  private deletePod(key: string, at: number): void {
    const old = this.pods.get(key);
    if (old === undefined) return;
    this.forgetPod(key, old);
    this.pods.delete(key);
    this.unplace(`pod/${key}`, at);
  }

  /** Takes the pod out of the indexes; the Services that selected it are to be worked out again. */
  private forgetPod(key: string, pod: PodObject): void {
    remove(this.podsByNamespace, pod.identity.namespace ?? '', key);
    if (pod.identity.nodeName !== undefined) remove(this.hostNetworkPodsByNode, pod.identity.nodeName, key);
    this.markServicesOf(pod);
  }

  private markServicesOf(pod: PodObject): void {
    for (const key of this.servicesByNamespace.get(pod.identity.namespace ?? '') ?? []) {
      if (selects(this.services.get(key)!, pod.identity)) this.dirtyServices.add(key);
    }
  }

  private placePod(key: string, at: number): void {
    const pod = this.pods.get(key);
    if (pod === undefined) return;
    const { hostNetwork, nodeName } = pod.identity;
    // A finished hostNetwork pod held no address of its own.
    if (hostNetwork && pod.terminated) return this.unplace(`pod/${key}`, at);
    // A hostNetwork pod listens on every address of its node, whichever the peer used.
    const onNode = hostNetwork && nodeName !== undefined ? (this.nodes.get(this.nodeKeys.get(nodeName) ?? '')?.addresses ?? []) : [];
    const addresses = hostNetwork ? [...pod.podIps, ...pod.hostIps, ...onNode] : pod.podIps;
    // A finished pod's IP goes back to the pool: it names it only where nothing live stands.
    this.place(`pod/${key}`, pod.identity, addresses, hostNetwork === true, pod.terminated, at);
  }

  private upsertService(key: string, service: ServiceObject): void {
    const old = this.services.get(key);
    if (old !== undefined) remove(this.servicesByNamespace, old.namespace, key);
    this.services.set(key, service);
    add(this.servicesByNamespace, service.namespace, key);
    this.dirtyServices.add(key);
  }

  private deleteService(key: string, at: number): void {
    const old = this.services.get(key);
    if (old === undefined) return;
    remove(this.servicesByNamespace, old.namespace, key);
    this.services.delete(key);
    this.unplace(`service/${key}`, at);
  }

  private placeService(key: string, at: number): void {
    const service = this.services.get(key)!;
    // A Service sends traffic only to running pods that have an address: a pending pod has none.
    const selected: KubernetesObjectIdentity[] = [];
    if (service.selector !== null) {
      for (const podKey of this.podsByNamespace.get(service.namespace) ?? []) {
        const pod = this.pods.get(podKey)!;
        if (!pod.terminated && pod.podIps.length > 0 && selects(service, pod.identity)) selected.push(pod.identity);
      }
    }
    const identity: KubernetesObjectIdentity = Object.freeze({
      resource: 'service',
      namespace: service.namespace,
      name: service.name,
      labels: service.labels,
      selectedPods: Object.freeze(selected),
    });
    this.place(`service/${key}`, identity, service.clusterIps, false, false, at);
  }

  private upsertNode(key: string, node: NodeObject, at: number): void {
    const old = this.nodes.get(key);
    if (old !== undefined && old.identity.name !== node.identity.name) {
      this.nodeKeys.delete(old.identity.name);
      this.dirtyNodes.add(old.identity.name);
    }
    this.nodes.set(key, node);
    this.nodeKeys.set(node.identity.name, key);
    this.dirtyNodes.add(node.identity.name);
    this.place(`node/${key}`, node.identity, node.addresses, true, false, at);
  }

  private deleteNode(key: string, at: number): void {
    const old = this.nodes.get(key);
    if (old === undefined) return;
    this.nodes.delete(key);
    if (this.nodeKeys.get(old.identity.name) === key) this.nodeKeys.delete(old.identity.name);
    this.dirtyNodes.add(old.identity.name);
    this.unplace(`node/${key}`, at);
  }

  /** Claims the addresses for the object from `at`, releasing those it leaves; nothing when nothing changed. */
  private place(key: string, fresh: KubernetesObjectIdentity, addresses: readonly Uint32Array[], shared: boolean, weak: boolean, at: number): void {
    const old = this.placements.get(key);
    const unique = addresses.filter((w, i) => addresses.findIndex((v) => sameWords(v, w)) === i);
    const identity = old !== undefined && sameIdentity(old.identity, fresh) ? old.identity : fresh;
    const same = old !== undefined && old.identity === identity && old.shared === shared && old.weak === weak;
    if (same && sameList(old.addresses, unique)) return;
    for (const words of old?.addresses ?? []) {
      if (!unique.some((w) => sameWords(w, words))) this.touch(words, () => this.history.release(words, key, at));
    }
    for (const words of unique) {
      if (same && old.addresses.some((w) => sameWords(w, words))) continue;
      this.touched.add(this.history.claim(words, key, identity, shared, weak, at));
    }
    this.placements.set(key, { identity, addresses: unique, shared, weak });
  }

  private unplace(key: string, at: number): void {
    const old = this.placements.get(key);
    if (old === undefined) return;
    for (const words of old.addresses) this.touch(words, () => this.history.release(words, key, at));
    this.placements.delete(key);
  }

  private touch(words: Uint32Array, change: () => void): void {
    change();
    this.touched.add(addressKey(words));
  }
}

/** The Service's selector picks the pod: same namespace, every label equal. */
function selects(service: ServiceObject, pod: KubernetesObjectIdentity): boolean {
  if (service.selector === null || pod.namespace !== service.namespace) return false;
  for (const label in service.selector) if (pod.labels[label] !== service.selector[label]) return false;
  return true;
}

/** Equal in every field the audit reads; selected pods compared as objects (pods keep theirs while unchanged). */
function sameIdentity(a: KubernetesObjectIdentity, b: KubernetesObjectIdentity): boolean {
  return (
    a === b ||
    (a.resource === b.resource &&
      a.namespace === b.namespace &&
      a.name === b.name &&
      a.nodeName === b.nodeName &&
      a.hostNetwork === b.hostNetwork &&
      sameRecord(a.labels, b.labels) &&
      sameArray(a.ports ?? [], b.ports ?? [], (x, y) => x.port === y.port && x.protocol === y.protocol) &&
      sameArray(a.selectedPods ?? [], b.selectedPods ?? [], (x, y) => x === y) &&
      (a.selectedPods === undefined) === (b.selectedPods === undefined))
  );
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function sameArray<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]));
}

function sameList(a: readonly Uint32Array[], b: readonly Uint32Array[]): boolean {
  return sameArray(a, b, sameWords);
}

function add(index: Map<string, Set<string>>, name: string, key: string): void {
  let keys = index.get(name);
  if (keys === undefined) index.set(name, (keys = new Set()));
  keys.add(key);
}

function remove(index: Map<string, Set<string>>, name: string, key: string): void {
  const keys = index.get(name);
  if (keys === undefined) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(name);
}
