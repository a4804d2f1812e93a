/**
 * Identities that change: upserts and deletes applied to the index, flows named by what held
 * their address when they began, deleted objects kept for a grace period, conflicts counted, and
 * caches that forget what changed.
 */
import { describe, expect, it } from 'vitest';
import { AddressHistory, describeConflict, type AddressConflict } from '../../src/identity/address-history.js';
import type { KubernetesObjectIdentity } from '../../src/identity/endpoint-identity.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import type { IdentityUpdate } from '../../src/identity/identity-source.js';
import { parseInventory } from '../../src/identity/inventory.js';
import { parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { inventoryUpserts } from '../../src/identity/snapshot-updates.js';
import { audit, flow, matrixFrom, node as nodeItem, pod as podItem, service as serviceItem } from '../audit/audit-fixtures.js';

type PodSpec = Parameters<typeof podItem>[0];

/** The upsert of one object read as a snapshot reads it, keyed by `uid`. */
function upsert(uid: string, item: Record<string, unknown>): IdentityUpdate {
  const metadata = { ...(item.metadata as object), uid };
  const snapshot = parseKubernetesSnapshot(JSON.stringify({ kind: 'List', items: [{ ...item, metadata }] }), 'watch.json');
  const object = snapshot.pods[0] ?? snapshot.services[0] ?? snapshot.nodes[0];
  return { op: 'upsert', key: uid, object };
}
const pod = (uid: string, spec: Partial<PodSpec> & { ip: string }): IdentityUpdate => upsert(uid, podItem({ namespace: 'shop', name: uid, ...spec }));
const gone = (uid: string, kind: 'pod' | 'service' | 'node' = 'pod'): IdentityUpdate => ({ op: 'delete', key: uid, kind });

const show = (o: KubernetesObjectIdentity): string => `${o.resource} ${o.name}`;
const at = (index: IdentityIndex, address: string, time?: number): string[] => index.identify(address, time).kubernetes.map(show);

describe('pods that come, change IP and go', () => {
  it('names each address by its holder at the time asked', () => {
    const index = new IdentityIndex({}, { graceSeconds: 30 });
    index.apply(100, [pod('cart-1', { ip: '10.1.0.5' })]);
    index.apply(200, [pod('cart-1', { ip: '10.1.0.6' })]);
    index.apply(300, [gone('cart-1')]);

    expect(at(index, '10.1.0.5', 99)).toEqual([]);
    expect(at(index, '10.1.0.5', 100)).toEqual(['pod cart-1']);
    expect(at(index, '10.1.0.5', 199)).toEqual(['pod cart-1']);
    expect(at(index, '10.1.0.6', 199)).toEqual([]);
    expect(at(index, '10.1.0.6', 250)).toEqual(['pod cart-1']);
    // Gone at 300, still named for 30 s of grace, then not.
    expect(at(index, '10.1.0.6', 329)).toEqual(['pod cart-1']);
    expect(at(index, '10.1.0.6', 330)).toEqual([]);
    expect(at(index, '10.1.0.6')).toEqual([]);
    expect(index.kubernetes.pods).toBe(0);
  });

  it('keeps a flow on the pod that held its address when it began, after another pod took it', () => {
    const index = new IdentityIndex({}, { graceSeconds: 30 });
    index.apply(-Infinity, [pod('cart-1', { ip: '10.1.0.5', labels: { app: 'cart' } })]);
    const before = index.identify('10.1.0.5', 1000);
    index.apply(1100, [gone('cart-1')]);
    index.apply(1105, [pod('batch-9', { ip: '10.1.0.5', labels: { app: 'batch' } })]);

    // A flow that began at 1000 is judged after the reuse: still cart-1.
    expect(index.identify('10.1.0.5', 1000)).toEqual(before);
    // Between the delete and the new pod, the deleted pod's grace.
    expect(at(index, '10.1.0.5', 1102)).toEqual(['pod cart-1']);
    expect(at(index, '10.1.0.5', 1105)).toEqual(['pod batch-9']);
    expect(at(index, '10.1.0.5')).toEqual(['pod batch-9']);
  });

  it('judges a flow by its pods at its start, through the Auditor', () => {
    const matrix = matrixFrom(`apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: shop, title: shop }
components:
  web: { match: [{ kubernetes: { labels: { app: web } } }] }
  api: { match: [{ kubernetes: { labels: { app: api } } }] }
connections:
  - { id: web-to-api, from: web, to: api, protocol: tcp, ports: [8080], security: none }
`);
    const index = new IdentityIndex();
    index.apply(-Infinity, [pod('web-1', { ip: '10.1.0.5', labels: { app: 'web' } }), pod('api-1', { ip: '10.1.0.9', labels: { app: 'api' } })]);
    const early = flow({ client: '10.1.0.5:40000', server: '10.1.0.9:8080', firstSeen: 1000, lastSeen: 1500 });
    expect(audit(matrix, index, [early]).audited[0].verdict.kind).toBe('allowed');
    // web-1 goes; a pod of no component takes its IP while the early flow still runs.
    index.apply(1200, [gone('web-1'), pod('intruder', { ip: '10.1.0.5', labels: { app: 'other' } })]);
    const late = flow({ client: '10.1.0.5:40001', server: '10.1.0.9:8080', firstSeen: 1300 });
    const [first, second] = audit(matrix, index, [early, late]).audited;
    expect(first.client.components.map((c) => c.component)).toEqual(['web']);
    expect(first.verdict.kind).toBe('allowed');
    expect(second.client.components).toEqual([]);
    expect(second.verdict.kind).not.toBe('allowed');
  });
});

describe('caches', () => {
  it('forget an address whose holder changed: a flow after an upsert sees the new identity', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [pod('cart-1', { ip: '10.1.0.5', labels: { version: 'v1' } })]);
    const v1 = index.identify('10.1.0.5', 50);
    expect(index.identify('10.1.0.5', 60)).toBe(v1);
    index.apply(100, [pod('cart-1', { ip: '10.1.0.5', labels: { version: 'v2' } })]);
    expect(index.identify('10.1.0.5', 150).kubernetes[0].labels).toEqual({ version: 'v2' });
    expect(index.identify('10.1.0.5').kubernetes[0].labels).toEqual({ version: 'v2' });
    expect(index.identify('10.1.0.5', 50).kubernetes[0].labels).toEqual({ version: 'v1' });
  });

  it('keep an address no change touched, and apply nothing for an upsert that changes nothing', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [pod('cart-1', { ip: '10.1.0.5' }), pod('cart-2', { ip: '10.1.0.6' })]);
    const other = index.identify('10.1.0.6');
    const same = index.identify('10.1.0.5');
    index.apply(100, [pod('cart-1', { ip: '10.1.0.7' }), pod('cart-2', { ip: '10.1.0.6' })]);
    expect(index.identify('10.1.0.6')).toBe(other);
    expect(index.identify('10.1.0.5', 50)).not.toBe(same);
    expect(index.identify('10.1.0.5', 50)).toEqual(same);
  });

  it('forget every address when an inventory entry changes, and follow entry upserts and deletes', () => {
    const index = new IdentityIndex();
    const [v1] = inventoryUpserts([parseInventory('entries:\n  - name: db\n    addresses: [10.9.0.0/16]\n    labels: { tier: one }\n', 'inv.yaml')]);
    index.apply(-Infinity, [v1]);
    expect(index.identify('10.9.1.1').inventory.map((e) => e.labels.tier)).toEqual(['one']);
    const [v2] = inventoryUpserts([parseInventory('entries:\n  - name: db\n    addresses: [10.9.0.0/16]\n    labels: { tier: two }\n', 'inv.yaml')]);
    index.apply(100, [v2]);
    expect(index.identify('10.9.1.1').inventory.map((e) => e.labels.tier)).toEqual(['two']);
    index.apply(200, [{ op: 'delete', key: v2.key, kind: 'inventory' }]);
    expect(index.identify('10.9.1.1').inventory).toEqual([]);
  });
});

describe('what depends on several objects', () => {
  it('a Service selects the pods whose labels fit, as they change', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [
      upsert('svc', serviceItem({ namespace: 'shop', name: 'api', clusterIp: '10.96.0.10', selector: { app: 'api' } })),
      pod('api-1', { ip: '10.1.0.5', labels: { app: 'api' } }),
    ]);
    const selected = (time?: number): string[] => index.identify('10.96.0.10', time).kubernetes[0].selectedPods!.map(show);
    expect(selected()).toEqual(['pod api-1']);
    index.apply(100, [pod('api-2', { ip: '10.1.0.6', labels: { app: 'api' } }), pod('api-1', { ip: '10.1.0.5', labels: { app: 'old' } })]);
    expect(selected()).toEqual(['pod api-2']);
    expect(selected(50)).toEqual(['pod api-1']);
    index.apply(200, [gone('svc', 'service')]);
    expect(at(index, '10.96.0.10', 150)).toEqual(['service api']);
    expect(at(index, '10.96.0.10', 1000)).toEqual([]);
  });

  it('a hostNetwork pod moves with its node\'s addresses', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [
      upsert('n1', nodeItem({ name: 'w1', ip: '10.0.0.1' })),
      pod('agent', { ip: '10.0.0.1', hostIp: '10.0.0.1', node: 'w1', hostNetwork: true }),
    ]);
    expect(at(index, '10.0.0.1')).toEqual(['node w1', 'pod agent']);
    const twoAddresses = { ...nodeItem({ name: 'w1', ip: '10.0.0.1' }), status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'ExternalIP', address: '10.0.0.2' }] } };
    index.apply(100, [upsert('n1', twoAddresses)]);
    expect(at(index, '10.0.0.2')).toEqual(['node w1', 'pod agent']);
    index.apply(200, [gone('n1', 'node')]);
    // The pod keeps its own addresses (podIP, hostIP); the node's other address is gone with it.
    expect(at(index, '10.0.0.1')).toEqual(['pod agent']);
    expect(at(index, '10.0.0.2', 1000)).toEqual([]);
  });
});

describe('two live objects on one address', () => {
  it('counts the conflict, says which it chose: the later claim, the earlier for flows before it', () => {
    const conflicts: AddressConflict[] = [];
    const index = new IdentityIndex({}, { onConflict: (c) => conflicts.push(c) });
    index.apply(-Infinity, [pod('old', { ip: '10.1.0.5' })]);
    index.apply(100, [pod('new', { ip: '10.1.0.5' })]);
    expect(index.kubernetes.conflicts).toBe(1);
    expect(conflicts.map(describeConflict)).toEqual(['10.1.0.5: pod shop/new chosen over pod shop/old']);
    expect(at(index, '10.1.0.5')).toEqual(['pod new']);
    expect(at(index, '10.1.0.5', 50)).toEqual(['pod old']);
  });

  it('in one snapshot, keeps the first read; a node shares with its hostNetwork pods without conflict', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [
      upsert('n1', nodeItem({ name: 'w1', ip: '10.0.0.1' })),
      pod('agent', { ip: '10.0.0.1', hostIp: '10.0.0.1', node: 'w1', hostNetwork: true }),
      pod('first', { ip: '10.1.0.5' }),
      pod('second', { ip: '10.1.0.5' }),
    ]);
    expect(at(index, '10.1.0.5')).toEqual(['pod first']);
    expect(at(index, '10.0.0.1')).toEqual(['node w1', 'pod agent']);
    expect(index.kubernetes.conflicts).toBe(1);
  });

  it('a finished pod yields to a live one without a conflict', () => {
    const index = new IdentityIndex();
    index.apply(-Infinity, [pod('job', { ip: '10.1.0.5', phase: 'Succeeded' }), pod('web', { ip: '10.1.0.5' })]);
    expect(at(index, '10.1.0.5')).toEqual(['pod web']);
    expect(index.kubernetes.conflicts).toBe(0);
  });
});

describe('bounded history', () => {
  it('forgets ended claims after the retention time and beyond the bound per address', () => {
    const index = new IdentityIndex({}, { graceSeconds: 10, retentionSeconds: 100, maxEndedClaims: 2 });
    for (let i = 0; i < 5; i++) index.apply(i * 10, [pod(`p${i}`, { ip: '10.1.0.5' }), ...(i > 0 ? [gone(`p${i - 1}`)] : [])]);
    // Ended: p0..p3; only the two latest are kept.
    expect(at(index, '10.1.0.5', 5)).toEqual([]);
    expect(at(index, '10.1.0.5', 25)).toEqual(['pod p2']);
    expect(at(index, '10.1.0.5', 35)).toEqual(['pod p3']);
    index.apply(500, [pod('other', { ip: '10.1.0.99' })]);
    expect(at(index, '10.1.0.5', 35)).toEqual([]);
    expect(at(index, '10.1.0.5')).toEqual(['pod p4']);
  });
});

describe('bounded history under churn', () => {
  it('claims dropped past the bound per address are not held until the retention time ends', () => {
    const history = new AddressHistory({ retentionSeconds: 3600, maxEndedClaims: 2 });
    const words = Uint32Array.of(0, 0, 0xffff, 0x0a010005);
    const identity = (name: string) => ({ resource: 'pod' as const, namespace: 'shop', name, labels: {} });
    for (let i = 0; i < 1000; i++) history.claim(words, 'pod', identity(`v${i}`), false, false, i);
    // 999 claims ended within the hour; the address keeps 2, and at most as many more wait to be compacted.
    expect(history.endedClaims).toBeLessThanOrEqual(5);
    expect(history.holdersAt(words, 997.5).holders.map((o) => o.name)).toEqual(['v997']);
  });
});
