/**
 * Kubernetes objects by address, from any number of snapshots: pods at their pod IPs, hostNetwork
 * pods and nodes at the node addresses, Services at their ClusterIPs with the pods they select.
 */
import type { KubernetesObjectIdentity } from './endpoint-identity.js';
import type { NodeObject, PodObject, ServiceObject } from './kubernetes-objects.js';
import type { KubernetesSnapshot } from './kubernetes-snapshot.js';
import { PrefixTable } from './prefix-table.js';

export interface KubernetesSummary {
  readonly pods: number;
  readonly services: number;
  /** Including synthesized ones. */
  readonly nodes: number;
  /** True when no snapshot held Node objects and nodes were made up from pods' hostIP and nodeName. */
  readonly nodesSynthesized: boolean;
  /** Objects found in more than one snapshot; the first one read is kept. */
  readonly duplicates: number;
  /** Items of other kinds, over all snapshots: how many of each. */
  readonly skipped: ReadonlyMap<string, number>;
}

export class KubernetesIndex {
  readonly summary: KubernetesSummary;
  /** Host routes only: every Kubernetes address is a single address. */
  private readonly table = new PrefixTable<KubernetesObjectIdentity>();

  constructor(snapshots: readonly KubernetesSnapshot[]) {
    const merged = merge(snapshots);
    const nodes = merged.nodes.length > 0 ? merged.nodes : synthesizeNodes(merged.pods);
    const live = merged.pods.filter((p) => !p.terminated);
    const nodeAddresses = new Map(nodes.map((n) => [n.identity.name, n.addresses]));
    const taken = new Set<string>();

    for (const node of nodes) this.place(node.identity, node.addresses, taken);
    for (const pod of live) {
      const onNode = pod.identity.nodeName === undefined ? [] : (nodeAddresses.get(pod.identity.nodeName) ?? []);
      // A hostNetwork pod listens on every address of its node, whichever the peer used.
      this.place(pod.identity, pod.identity.hostNetwork ? [...pod.podIps, ...pod.hostIps, ...onNode] : pod.podIps, taken);
    }
    // A finished pod's IP goes back to the pool: name it only where no live pod or node now stands,
    // so a capture older than the snapshot still finds the job that ran then.
    for (const pod of merged.pods) {
      if (pod.terminated && !pod.identity.hostNetwork) this.place(pod.identity, pod.podIps.filter((w) => !taken.has(addressKey(w))), taken);
    }
    // A Service sends traffic only to pods that have an address: a pod still pending has none.
    const selectable = live.filter((p) => p.podIps.length > 0);
    for (const service of merged.services) this.place(serviceIdentity(service, selectable), service.clusterIps, taken);

    this.summary = Object.freeze({
      pods: merged.pods.length,
      services: merged.services.length,
      nodes: nodes.length,
      nodesSynthesized: merged.nodes.length === 0 && nodes.length > 0,
      duplicates: merged.duplicates,
      skipped: merged.skipped,
    });
  }

  /** Objects at the address: nodes first, then pods, then Services, each in snapshot order. */
  lookup(words: ArrayLike<number>): KubernetesObjectIdentity[] {
    return this.table.lookup(words);
  }

  private place(identity: KubernetesObjectIdentity, addresses: readonly Uint32Array[], taken: Set<string>): void {
    const placed = new Set<string>();
    for (const words of addresses) {
      const key = addressKey(words);
      if (placed.has(key)) continue;
      placed.add(key);
      taken.add(key);
      this.table.add(words, 128, identity);
    }
  }
}

interface Merged {
  readonly pods: PodObject[];
  readonly services: ServiceObject[];
  readonly nodes: NodeObject[];
  readonly duplicates: number;
  readonly skipped: Map<string, number>;
}

/** One object per namespace and name, the first read winning: snapshots may overlap (a List plus its parts). */
function merge(snapshots: readonly KubernetesSnapshot[]): Merged {
  const seen = new Set<string>();
  let duplicates = 0;
  const keep = (key: string): boolean => {
    if (!seen.has(key)) {
      seen.add(key);
      return true;
    }
    duplicates++;
    return false;
  };
  const pods: PodObject[] = [];
  const services: ServiceObject[] = [];
  const nodes: NodeObject[] = [];
  const skipped = new Map<string, number>();
  for (const snapshot of snapshots) {
    for (const pod of snapshot.pods) if (keep(`pod/${pod.identity.namespace}/${pod.identity.name}`)) pods.push(pod);
    for (const service of snapshot.services) if (keep(`service/${service.namespace}/${service.name}`)) services.push(service);
    for (const node of snapshot.nodes) if (keep(`node/${node.identity.name}`)) nodes.push(node);
    for (const [type, count] of snapshot.skipped) skipped.set(type, (skipped.get(type) ?? 0) + count);
  }
  return { pods, services, nodes, duplicates, skipped };
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
    for (const words of pod.hostIps) if (!known.some((w) => addressKey(w) === addressKey(words))) known.push(words);
    addresses.set(name, known);
  }
  return [...addresses].map(([name, known]) => ({
    kind: 'node',
    identity: Object.freeze({ resource: 'node', name, labels: Object.freeze({}) }),
    addresses: known,
  }));
}

/** The Service as an identity carrying the pods its selector picks: same namespace, every label equal. */
function serviceIdentity(service: ServiceObject, pods: readonly PodObject[]): KubernetesObjectIdentity {
  const wanted = Object.entries(service.selector ?? {});
  const picks = (pod: PodObject): boolean => pod.identity.namespace === service.namespace && wanted.every(([k, v]) => pod.identity.labels[k] === v);
  const selectedPods = service.selector === null ? [] : pods.filter(picks).map((p) => p.identity);
  return Object.freeze({
    resource: 'service',
    namespace: service.namespace,
    name: service.name,
    labels: service.labels,
    selectedPods: Object.freeze(selectedPods),
  });
}

function addressKey(words: ArrayLike<number>): string {
  return `${words[0]},${words[1]},${words[2]},${words[3]}`;
}
