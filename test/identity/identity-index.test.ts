import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubernetesObjectIdentity } from '../../src/identity/endpoint-identity.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { loadInventory, parseInventory } from '../../src/identity/inventory.js';
import { loadKubernetesSnapshot, parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { snapshotUpserts } from '../../src/identity/snapshot-updates.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const cluster = loadKubernetesSnapshot(join(FIXTURES, 'apigee-pods-services.json'));
const nodes = loadKubernetesSnapshot(join(FIXTURES, 'apigee-nodes.json'));
const kong = loadKubernetesSnapshot(join(FIXTURES, 'kong-dual-stack-list.json'));
const inventory = loadInventory(join(FIXTURES, 'inventory.yaml'), 'inventory.yaml');

/** `pod apigee/name`, `node name`, for compact expectations. */
const show = (o: KubernetesObjectIdentity): string => `${o.resource} ${o.namespace === undefined ? '' : `${o.namespace}/`}${o.name}`;
const kubernetesAt = (index: IdentityIndex, address: string): string[] => index.identify(address).kubernetes.map(show);

const RUNTIME = 'apigee/apigee-runtime-myorg-prod-1-10-3-ab12c';
const K2LM = 'gke-apigee-hybrid-apigee-runtime-6f1c0b2e-k2lm';

describe('IdentityIndex over a cluster snapshot with nodes', () => {
  const index = new IdentityIndex({ snapshots: [cluster, nodes] });

  it('finds a pod at its pod IP, with its labels', () => {
    const identity = index.identify('10.4.0.17');
    expect(identity.address).toBe('10.4.0.17');
    expect(identity.internal).toBe(true);
    expect(identity.kubernetes.map(show)).toEqual(['pod apigee/apigee-mart-myorg-1-10-3-9f3de-6b8c7d9f4-pl5vw']);
    expect(identity.kubernetes[0].labels.app).toBe('apigee-mart');
    expect(identity.inventory).toEqual([]);
    expect(identity.names).toEqual([]);
  });

  it('finds both Cassandra pods of the StatefulSet', () => {
    expect(kubernetesAt(index, '10.4.2.8')).toEqual(['pod apigee/apigee-cassandra-default-0']);
    expect(kubernetesAt(index, '10.4.3.9')).toEqual(['pod apigee/apigee-cassandra-default-1']);
  });

  it('finds a Service at its ClusterIP, carrying the pods its selector picks', () => {
    const [runtime] = index.identify('10.8.4.17').kubernetes;
    expect(show(runtime)).toBe(`service ${RUNTIME}`);
    // Two running replicas; the pending third has no IP to send traffic to.
    expect(runtime.selectedPods!.map(show)).toEqual([
      `pod ${RUNTIME}-7d9f8c6b5-h2x4z`,
      `pod ${RUNTIME}-7d9f8c6b5-r8mnq`,
    ]);
    const [dns] = index.identify('10.8.0.10').kubernetes;
    expect(dns.selectedPods!.map(show)).toEqual(['pod kube-system/kube-dns-5f8d6b9c7c-8h2kd', 'pod kube-system/kube-dns-5f8d6b9c7c-tm4vx']);
    const [udca] = index.identify('10.8.6.201').kubernetes;
    expect(udca.selectedPods!.map((p) => p.ports)).toEqual([[{ port: 7070, protocol: 'tcp' }, { port: 20001, protocol: 'tcp' }]]);
  });

  it('selects nothing for a Service without a selector, and places no headless Service', () => {
    const [api] = index.identify('10.8.0.1').kubernetes;
    expect(show(api)).toBe('service default/kubernetes');
    expect(api.selectedPods).toEqual([]);
    expect(index.identify('10.8.0.1').kubernetes).toHaveLength(1);
  });

  it('finds the node, then its hostNetwork pods with their ports, at each node address', () => {
    const at = index.identify('10.128.0.21').kubernetes;
    expect(at.map(show)).toEqual([`node ${K2LM}`, 'pod apigee/apigee-logger-apigee-telemetry-4xkqz', `pod kube-system/kube-proxy-${K2LM}`]);
    expect(at[0].labels['cloud.google.com/gke-nodepool']).toBe('apigee-runtime');
    expect(at[1]).toMatchObject({ hostNetwork: true, nodeName: K2LM, ports: [{ port: 2020, protocol: 'tcp' }] });
    expect(at[2]).toMatchObject({ hostNetwork: true, ports: [] });
    // The ExternalIP reaches the same host network.
    const external = index.identify('34.76.112.45');
    expect(external.kubernetes.map(show)).toEqual(at.map(show));
    expect(external.internal).toBe(false);
    expect(kubernetesAt(index, '10.128.0.32')).toEqual([
      'node gke-apigee-hybrid-apigee-data-0b7d4a11-q8vn',
      'pod apigee/apigee-logger-apigee-telemetry-h6p3n',
      'pod kube-system/kube-proxy-gke-apigee-hybrid-apigee-data-0b7d4a11-q8vn',
    ]);
  });

  it('gives a recycled IP to the running pod, and a free one to the finished Job', () => {
    expect(kubernetesAt(index, '10.4.1.12')).toEqual(['pod apigee/apigee-synchronizer-myorg-prod-1-10-3-ab12c-5c4d8b7a6-qx2jd']);
    expect(kubernetesAt(index, '10.4.0.45')).toEqual(['pod apigee/apigee-cassandra-user-setup-myorg-ab12c-5kd8w']);
  });

  it('knows nothing of other addresses', () => {
    expect(index.identify('10.4.0.99')).toEqual({ address: '10.4.0.99', internal: true, kubernetes: [], inventory: [], names: [] });
    expect(index.identify('142.250.74.106').internal).toBe(false);
  });

  it('summarises what it read', () => {
    expect(index.kubernetes).toEqual({ pods: 22, services: 7, nodes: 4, conflicts: 0 });
    expect(snapshotUpserts([cluster, nodes]).facts).toEqual({ nodesSynthesized: false, duplicates: 0, skipped: new Map() });
  });
});

describe('IdentityIndex without Node objects', () => {
  const index = new IdentityIndex({ snapshots: [cluster] });

  it('makes nodes up from the pods: spec.nodeName at status.hostIP, no labels', () => {
    const at = index.identify('10.128.0.21').kubernetes;
    expect(at.map(show)).toEqual([`node ${K2LM}`, 'pod apigee/apigee-logger-apigee-telemetry-4xkqz', `pod kube-system/kube-proxy-${K2LM}`]);
    expect(at[0].labels).toEqual({});
    expect(index.kubernetes).toMatchObject({ nodes: 4 });
    expect(snapshotUpserts([cluster]).facts.nodesSynthesized).toBe(true);
    // Only the node addresses pods reported are known: not the ExternalIP.
    expect(index.identify('34.76.112.45').kubernetes).toEqual([]);
  });
});

describe('IdentityIndex over several snapshots', () => {
  it('resolves selectors across files and takes each object once', () => {
    const index = new IdentityIndex({ snapshots: [cluster, nodes, cluster, kong] });
    expect(index.kubernetes).toMatchObject({ pods: 23, services: 8, nodes: 5 });
    const { facts } = snapshotUpserts([cluster, nodes, cluster, kong]);
    expect(facts.duplicates).toBe(29);
    expect(facts.skipped).toEqual(new Map([['Deployment (apps/v1)', 2], ['Service (serving.knative.dev/v1)', 1], ['Endpoints', 1]]));
  });

  it('finds dual-stack objects at their IPv6 addresses too', () => {
    const index = new IdentityIndex({ snapshots: [kong] });
    expect(kubernetesAt(index, 'fd00:10:244:1::7')).toEqual(['pod kong/kong-gateway-6d9b7c8f5d-7wq2m']);
    expect(kubernetesAt(index, '10.244.1.7')).toEqual(['pod kong/kong-gateway-6d9b7c8f5d-7wq2m']);
    const [proxy] = index.identify('fd00:10:96::8e07').kubernetes;
    expect(show(proxy)).toBe('service kong/kong-gateway-proxy');
    expect(proxy.selectedPods!.map((p) => p.labels['app.kubernetes.io/name'])).toEqual(['kong']);
    const node = index.identify('fc00:f853:ccd:e793::3');
    expect(node.kubernetes.map(show)).toEqual(['node kong-worker-1']);
    expect(node.internal).toBe(true);
    // Any spelling of the address finds it; the identity carries the canonical one.
    expect(index.identify('FD00:0010:0244:0001:0:0:0:7').address).toBe('fd00:10:244:1::7');
  });
});

describe('IdentityIndex edge cases of real clusters', () => {
  const list = (items: unknown[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  const pod = (name: string, status: object, spec: object = {}): object => ({ kind: 'Pod', metadata: { name, namespace: 'n' }, spec: { nodeName: 'w1', ...spec }, status });

  it('places no ExternalName Service, no SCTP port, and no finished hostNetwork pod', () => {
    const snapshot = parseKubernetesSnapshot(
      list([
        { kind: 'Service', metadata: { name: 'ext', namespace: 'n' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } },
        pod('sctp', { phase: 'Running', podIP: '10.1.0.5', hostIP: '10.0.0.1' }, { containers: [{ name: 'c', ports: [{ containerPort: 3868, protocol: 'SCTP' }, { containerPort: 3868 }] }] }),
        pod('old-agent', { phase: 'Failed', podIP: '10.0.0.1', hostIP: '10.0.0.1' }, { hostNetwork: true }),
      ]),
      'edge.json',
    );
    const index = new IdentityIndex({ snapshots: [snapshot] });
    expect(index.kubernetes.services).toBe(1);
    expect(index.identify('10.1.0.5').kubernetes[0].ports).toEqual([{ port: 3868, protocol: 'tcp' }]);
    expect(kubernetesAt(index, '10.0.0.1')).toEqual(['node w1']);
  });
});

describe('IdentityIndex over inventories', () => {
  const index = new IdentityIndex({ inventories: [inventory] });

  it('returns every entry containing the address, the most specific first', () => {
    expect(index.identify('10.20.3.8').inventory.map((e) => e.name)).toEqual(['cassandra-us-east1-seed', 'cassandra-us-east1', 'datacenter']);
    expect(index.identify('10.20.9.9').inventory.map((e) => e.name)).toEqual(['cassandra-us-east1', 'datacenter']);
    expect(index.identify('10.99.0.1').inventory.map((e) => e.name)).toEqual(['datacenter']);
    expect(index.identify('fd00:1::1').inventory.map((e) => e.name)).toEqual(['datacenter']);
    expect(index.identify('11.0.0.1').inventory).toEqual([]);
  });

  it('carries the entry source, components and labels', () => {
    expect(index.identify('10.20.3.8').inventory[0]).toEqual({
      source: 'inventory.yaml:10',
      name: 'cassandra-us-east1-seed',
      components: ['cassandra-other-region'],
      labels: { region: 'us-east1', role: 'seed' },
    });
  });

  it('gives an entry hostnames as inventory name evidence, on both of its addresses', () => {
    const expected = [
      { name: 'proxy.corp.example', source: 'inventory' },
      { name: 'proxy2.corp.example', source: 'inventory' },
    ];
    expect(index.identify('192.168.50.10').names).toEqual(expected);
    const v6 = index.identify('2001:db8:50::10');
    expect(v6.names).toEqual(expected);
    expect(v6.inventory.map((e) => e.name)).toEqual(['corp-egress-proxy']);
    expect(v6.internal).toBe(false);
  });

  it('lists an entry once, at its most specific block, and ties in inventory order', () => {
    const first = parseInventory('entries:\n  - name: wide-and-narrow\n    addresses: [10.0.0.0/8, 10.1.0.0/16]\n  - name: same-16\n    addresses: [10.1.0.0/16]\n', 'a.yaml');
    const second = parseInventory('entries:\n  - name: other-file-16\n    addresses: [10.1.0.0/16]\n', 'b.yaml');
    const both = new IdentityIndex({ inventories: [first, second] });
    expect(both.identify('10.1.2.3').inventory.map((e) => e.name)).toEqual(['wide-and-narrow', 'same-16', 'other-file-16']);
  });

  it('finds the right entries among thousands', () => {
    const lines = ['entries:'];
    for (let i = 0; i < 4000; i++) lines.push(`  - name: host-${i}`, `    addresses: ["10.${(i >> 8) & 255}.${i & 255}.7", "fd00:${i.toString(16)}::7"]`);
    for (let i = 0; i < 250; i++) lines.push(`  - name: net-${i}`, `    addresses: ["10.${i}.0.0/16"]`);
    const big = new IdentityIndex({ inventories: [parseInventory(lines.join('\n'), 'big.yaml')] });
    expect(big.identify('10.15.159.7').inventory.map((e) => e.name)).toEqual(['host-3999', 'net-15']);
    expect(big.identify('fd00:f9f::7').inventory.map((e) => e.name)).toEqual(['host-3999']);
    expect(big.identify('10.15.159.8').inventory.map((e) => e.name)).toEqual(['net-15']);
  });
});

describe('IdentityIndex cache', () => {
  it('answers a repeated address with the same frozen identity', () => {
    const index = new IdentityIndex({ snapshots: [cluster] });
    const first = index.identify('10.4.0.17');
    expect(index.identify('10.4.0.17')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.kubernetes)).toBe(true);
    expect(Object.isFrozen(first.kubernetes[0])).toBe(true);
  });

  it('stays within its bound, forgetting the least recently used generation', () => {
    const index = new IdentityIndex({ snapshots: [cluster] }, { cacheSize: 1 });
    const a = index.identify('10.4.0.17');
    const b = index.identify('10.4.2.8');
    index.identify('10.4.3.9');
    expect(index.identify('10.4.2.8')).toBe(b);
    const again = index.identify('10.4.0.17');
    expect(again).not.toBe(a);
    expect(again).toEqual(a);
  });

  it('refuses text that is not an address', () => {
    const index = new IdentityIndex();
    expect(() => index.identify('10.4.0')).toThrow(RangeError);
    expect(() => index.identify('example.com')).toThrow('not an IP address: "example.com"');
  });
});
