/**
 * The Kubernetes identity source against an API server of our own (test/support/fake-kube-api.ts):
 * HTTPS with a test CA and a bearer token, paged lists, chunked watches, bookmarks, 410 Gone,
 * 401/403, cut and stalled connections, the server down and back. Times are set by the test's
 * clock, so what a flow that began at T is named by is exact.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import type { IdentitySourceStatus } from '../../src/identity/identity-source.js';
import { KubernetesApi, KubernetesApiError } from '../../src/identity/kubernetes-api.js';
import { kubeconfigFile } from '../../src/identity/kubernetes-config.js';
import type { ReflectorOptions, SourceLog } from '../../src/identity/kubernetes-reflector.js';
import { parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { KubernetesWatchSource } from '../../src/identity/kubernetes-watch-source.js';
import { FakeKubeApi, node, pod, service, type RawObject } from '../support/fake-kube-api.js';
import { makeTestPki, type TestPki } from '../support/test-pki.js';
import { tempDir } from '../support/temp-dir.js';

const scratch = tempDir('kube');
const TOKEN = 'test-service-account-token';
/** Fast enough for tests: retries from 20 ms, a silent connection given up after 1 s. */
const FAST: Partial<ReflectorOptions> = { firstRetryMs: 20, maxRetryMs: 200, idleMs: 1000, watchSeconds: 30, pageSize: 2 };

let pki: TestPki;
let api: FakeKubeApi;
beforeAll(() => {
  pki = makeTestPki();
});

const running: KubernetesWatchSource[] = [];
afterEach(async () => {
  for (const source of running.splice(0)) source.close();
  await api?.close();
});

/** Log lines as `level message`, with their fields. */
function recordingLog(): SourceLog & { lines: { level: string; message: string; fields: object }[] } {
  const lines: { level: string; message: string; fields: object }[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', message, fields }),
    warn: (fields, message) => lines.push({ level: 'warn', message, fields }),
  };
}

interface Following {
  readonly index: IdentityIndex;
  readonly source: KubernetesWatchSource;
  readonly log: ReturnType<typeof recordingLog>;
  /** Sets the clock the source stamps updates with (seconds). */
  at(seconds: number): void;
  status(): IdentitySourceStatus;
}

async function startApi(objects: { pods?: RawObject[]; services?: RawObject[]; nodes?: RawObject[] } = {}, bookmarkMs = 100): Promise<FakeKubeApi> {
  api = await FakeKubeApi.start({ pki, token: TOKEN, bookmarkMs });
  for (const o of objects.nodes ?? []) api.upsert('nodes', o);
  for (const o of objects.pods ?? []) api.upsert('pods', o);
  for (const o of objects.services ?? []) api.upsert('services', o);
  return api;
}

async function follow(options: Partial<ReflectorOptions> = FAST): Promise<Following> {
  let now = 1000;
  const index = new IdentityIndex();
  const log = recordingLog();
  const source = new KubernetesWatchSource(new KubernetesApi(kubeconfigFile(api.writeKubeconfig(scratch))), log, options, () => now);
  running.push(source);
  await source.start(index);
  return { index, source, log, at: (s) => (now = s), status: () => source.status() };
}

const names = (index: IdentityIndex, address: string, at?: number): string[] =>
  index.identify(address, at).kubernetes.map((o) => `${o.resource} ${o.namespace === undefined ? '' : `${o.namespace}/`}${o.name}`);

describe('list and watch', () => {
  it('names pods, Services with their selected pods, nodes and hostNetwork pods as the snapshot of the same objects does', async () => {
    const objects = {
      nodes: [node({ uid: 'n1', name: 'node-a', address: '192.168.1.10' })],
      pods: [
        pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5', node: 'node-a', hostIp: '192.168.1.10', labels: { app: 'cart' }, ports: [8443] }),
        pod({ uid: 'p2', name: 'cart-2', ip: '10.1.0.6', node: 'node-a', hostIp: '192.168.1.10', labels: { app: 'cart' } }),
        pod({ uid: 'p3', name: 'node-exporter', namespace: 'monitoring', ip: '192.168.1.10', node: 'node-a', hostIp: '192.168.1.10', hostNetwork: true, ports: [9100] }),
        pod({ uid: 'p4', name: 'pending', node: 'node-a' }),
      ],
      services: [service({ uid: 's1', name: 'cart', clusterIp: '10.96.0.10', selector: { app: 'cart' } })],
    };
    await startApi(objects);
    const live = await follow();
    const snapshot = new IdentityIndex({ snapshots: [parseKubernetesSnapshot(JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [...objects.nodes, ...objects.pods, ...objects.services] }), 'snapshot.json')] });

    for (const address of ['10.1.0.5', '10.1.0.6', '10.96.0.10', '192.168.1.10', '10.1.0.99']) {
      expect(live.index.identify(address, 500), address).toEqual(snapshot.identify(address, 500));
    }
    expect(names(live.index, '192.168.1.10')).toEqual(['node node-a', 'pod monitoring/node-exporter']);
    expect(live.index.identify('192.168.1.10').kubernetes[1].ports).toEqual([{ port: 9100, protocol: 'tcp' }]);
    expect(live.index.identify('10.96.0.10').kubernetes[0].selectedPods!.map((p) => p.name)).toEqual(['cart-1', 'cart-2']);
    const status = live.status();
    expect(status).toMatchObject({ source: 'kubernetes', up: true, synced: true, downReason: null });
    expect(Object.fromEntries(status.objects)).toEqual({ node: 1, pod: 4, service: 1 });
    // Page size 2: four pods took two pages, the second asked for with the first's continue token.
    expect(api.requests.filter((r) => r === 'list pods')).toHaveLength(2);
  });

  it('follows pods that come, change IP, move nodes and go: a flow keeps the pod that held its address when it began', async () => {
    await startApi({
      nodes: [node({ uid: 'n1', name: 'node-a', address: '192.168.1.10' }), node({ uid: 'n2', name: 'node-b', address: '192.168.1.11' })],
      pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5', node: 'node-a', hostIp: '192.168.1.10' })],
    });
    const live = await follow();
    const watched = (): Promise<void> => vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    await watched();

    // t=2000: a new pod comes on 10.1.0.7.
    live.at(2000);
    api.upsert('pods', pod({ uid: 'p2', name: 'orders-1', ip: '10.1.0.7', node: 'node-a', hostIp: '192.168.1.10' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.7')).toEqual(['pod shop/orders-1']));
    expect(names(live.index, '10.1.0.7', 1500)).toEqual([]);

    // t=3000: cart-1 is rescheduled: same UID, node-b, a new IP; its old IP goes to another pod at t=3100.
    live.at(3000);
    api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.8', node: 'node-b', hostIp: '192.168.1.11' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.8')).toEqual(['pod shop/cart-1']));
    expect(live.index.identify('10.1.0.8').kubernetes[0].nodeName).toBe('node-b');
    live.at(3100);
    api.upsert('pods', pod({ uid: 'p3', name: 'search-1', ip: '10.1.0.5', node: 'node-a', hostIp: '192.168.1.10' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/search-1']));
    // A flow that began at 2500 on 10.1.0.5 is still cart-1's; one from 3050 too (the 60 s grace); one from 3200 is search-1's.
    expect(names(live.index, '10.1.0.5', 2500)).toEqual(['pod shop/cart-1']);
    expect(live.index.identify('10.1.0.5', 2500).kubernetes[0].nodeName).toBe('node-a');
    expect(names(live.index, '10.1.0.5', 3050)).toEqual(['pod shop/cart-1']);
    expect(names(live.index, '10.1.0.5', 3200)).toEqual(['pod shop/search-1']);

    // t=4000: orders-1 goes; flows that began before keep it, and for 60 s after its address still names it.
    live.at(4000);
    api.delete('pods', 'p2');
    await vi.waitFor(() => expect(live.status().objects.get('pod')).toBe(2));
    expect(names(live.index, '10.1.0.7', 3999)).toEqual(['pod shop/orders-1']);
    expect(names(live.index, '10.1.0.7', 4030)).toEqual(['pod shop/orders-1']);
    expect(names(live.index, '10.1.0.7', 4100)).toEqual([]);
  });

  it('applies only what changed: an event for an object at a resourceVersion already seen is skipped', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    const live = await follow();
    const applied: number[] = [];
    const apply = live.index.apply.bind(live.index);
    live.index.apply = (at, updates) => {
      applied.push(updates.length);
      apply(at, updates);
    };
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5', labels: { app: 'cart', version: 'v2' } }));
    await vi.waitFor(() => expect(live.index.identify('10.1.0.5').kubernetes[0].labels.version).toBe('v2'));
    expect(applied).toEqual([1]);
  });
});

describe('when the connection or the server fails', () => {
  it('a watch cut mid-event is started again from the last resourceVersion, counted; nothing is lost', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    const live = await follow();
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    const rv = api.resourceVersion;
    api.cutWatches();
    // Made while no watch was open: the next watch, from the last resourceVersion seen, gets it.
    api.upsert('pods', pod({ uid: 'p2', name: 'cart-2', ip: '10.1.0.6' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.6')).toEqual(['pod shop/cart-2']));
    // Every watch was cut, once.
    expect(Object.fromEntries(live.status().restarts)).toEqual({ nodes: 1, pods: 1, services: 1 });
    expect(api.requests).toContain(`watch pods rv=${rv}`);
    // The half event was the cut, not an object that did not read.
    expect(live.status().rejected.get('pods')).toBe(0);
    // The other two watches are back after their first wait (20 ms here).
    await vi.waitFor(() => expect(live.status().up).toBe(true));
  });

  it('the server down for a while: down with the reason, the last state kept, then resynced when it is back', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }), pod({ uid: 'p2', name: 'cart-2', ip: '10.1.0.6' })] });
    const live = await follow();
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    const synced = live.status().lastSync!;
    await api.down();
    await vi.waitFor(() => expect(live.status().up).toBe(false));
    // First the cut watches, then each try again refused.
    await vi.waitFor(() => expect(live.status().downReason).toMatch(/cannot watch (pods|services|nodes): connect ECONNREFUSED 127\.0\.0\.1:\d+/));
    expect(live.status().synced).toBe(true);
    // Meanwhile the last state still names the addresses.
    expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/cart-1']);

    // While it was down cart-2 went and cart-3 came, and the server kept no history from before.
    api.replaceSilently('pods', [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }), pod({ uid: 'p3', name: 'cart-3', ip: '10.1.0.7' })]);
    api.compact();
    live.at(5000);
    await api.up();
    await vi.waitFor(() => expect(live.status().up).toBe(true), { timeout: 3000 });
    await vi.waitFor(() => expect(names(live.index, '10.1.0.7')).toEqual(['pod shop/cart-3']));
    // The relist deleted cart-2 as of its time (5000): flows from before keep it.
    expect(names(live.index, '10.1.0.6', 4000)).toEqual(['pod shop/cart-2']);
    expect(names(live.index, '10.1.0.6', 5100)).toEqual([]);
    expect(live.status().objects.get('pod')).toBe(2);
    expect(live.status().lastSync!).toBeGreaterThan(synced);
    expect(live.status().restarts.get('pods')!).toBeGreaterThanOrEqual(2);
    expect(live.log.lines.some((l) => l.message === 'Kubernetes watch expired; listing again')).toBe(true);
    expect(live.log.lines.find((l) => l.message === 'Kubernetes watch running again')?.fields).toMatchObject({ downMs: expect.any(Number) });
    // The relist: cart-3 new, cart-2 gone; cart-1 unchanged.
    expect(live.log.lines.filter((l) => l.message === 'Kubernetes resource listed again' && (l.fields as { resource: string }).resource === 'pods').map((l) => l.fields)).toEqual([
      { resource: 'pods', objects: 2, applied: 2 },
    ]);
  });

  it('a relist after 410 Gone deletes the objects the list no longer holds', async () => {
    await startApi({ services: [service({ uid: 's1', name: 'cart', clusterIp: '10.96.0.10' }), service({ uid: 's2', name: 'old', clusterIp: '10.96.0.11' })] });
    const live = await follow();
    await vi.waitFor(() => expect(api.watching('services')).toBe(1));
    api.replaceSilently('services', [service({ uid: 's1', name: 'cart', clusterIp: '10.96.0.10' })]);
    api.compact();
    live.at(7000);
    api.cutWatches();
    await vi.waitFor(() => expect(live.status().objects.get('service')).toBe(1));
    expect(names(live.index, '10.96.0.11', 6000)).toEqual(['service shop/old']);
    expect(names(live.index, '10.96.0.11', 7100)).toEqual([]);
    expect(names(live.index, '10.96.0.10')).toEqual(['service shop/cart']);
  });

  it('a server that stops answering is given up after the idle bound and tried again', async () => {
    await startApi({}, 100);
    const live = await follow({ ...FAST, idleMs: 300 });
    await vi.waitFor(() => expect(api.watching('nodes')).toBe(1));
    api.stalled = true;
    api.cutWatches();
    await vi.waitFor(() => expect(live.status().downReason).toMatch(/cannot watch (pods|services|nodes): no answer for 0\.3 s/), { timeout: 3000 });
    api.stalled = false;
    await vi.waitFor(() => expect(live.status().up).toBe(true), { timeout: 3000 });
  });

  it('bookmarks keep a quiet watch alive and move its resourceVersion on', async () => {
    await startApi({ nodes: [node({ uid: 'n1', name: 'node-a', address: '192.168.1.10' })] }, 50);
    const live = await follow({ ...FAST, idleMs: 400 });
    api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/cart-1']));
    const rv = api.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Two idle bounds passed without an event on nodes: bookmarks kept its watch open.
    expect(live.status().restarts.get('nodes')).toBe(0);
    api.cutWatches();
    await vi.waitFor(() => expect(api.requests).toContain(`watch nodes rv=${rv}`));
  });

  it('a watch the server ends is started again from where it was, not counted as a restart', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    const live = await follow({ ...FAST, watchSeconds: 1 });
    await vi.waitFor(() => expect(api.requests.filter((r) => r.startsWith('watch pods'))).toHaveLength(2), { timeout: 4000 });
    api.upsert('pods', pod({ uid: 'p2', name: 'cart-2', ip: '10.1.0.6' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.6')).toEqual(['pod shop/cart-2']));
    expect(Object.fromEntries(live.status().restarts)).toEqual({ nodes: 0, pods: 0, services: 0 });
    expect(api.requests.filter((r) => r.startsWith('list pods'))).toEqual(['list pods']);
  });

  it('a watch event past the bound is skipped and counted, and the watch goes on past it', async () => {
    await startApi();
    const live = await follow({ ...FAST, maxEventBytes: 4096 });
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    api.upsert('pods', pod({ uid: 'p1', name: 'huge', ip: '10.1.0.5', labels: { blob: 'x'.repeat(5000) } }));
    api.upsert('pods', pod({ uid: 'p2', name: 'cart-2', ip: '10.1.0.6' }));
    await vi.waitFor(() => expect(names(live.index, '10.1.0.6')).toEqual(['pod shop/cart-2']));
    expect(names(live.index, '10.1.0.5')).toEqual([]);
    expect(live.status().rejected.get('pods')).toBe(1);
    expect(live.status().restarts.get('pods')).toBe(0);
    expect(live.log.lines.find((l) => l.level === 'warn')?.fields).toEqual({ resource: 'pods', object: 'a watch event longer than 4096 bytes' });
  });

  it('an API that does not answer at start holds start() back only startWaitMs; the lists land when it answers', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    api.stalled = true;
    const began = Date.now();
    const live = await follow({ ...FAST, idleMs: 5000, startWaitMs: 200 });
    expect(Date.now() - began).toBeLessThan(2000);
    expect(live.status()).toMatchObject({ synced: false, up: false });
    expect(live.log.lines.find((l) => l.message === 'following the Kubernetes API')?.fields).toMatchObject({ synced: false });
    api.stalled = false;
    api.cutWatches();
    await vi.waitFor(() => expect(live.status().synced).toBe(true), { timeout: 8000 });
    expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/cart-1']);
  });

  it('a DELETED event whose object no longer reads still deletes it, by its UID', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    const live = await follow();
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    live.at(2000);
    // The object turns unreadable (kept as it was delivered), then goes.
    api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.300' }));
    await vi.waitFor(() => expect(live.status().rejected.get('pods')).toBe(1));
    api.delete('pods', 'p1');
    await vi.waitFor(() => expect(live.status().objects.get('pod')).toBe(0));
    expect(names(live.index, '10.1.0.5', 1999)).toEqual(['pod shop/cart-1']);
    expect(names(live.index, '10.1.0.5', 2100)).toEqual([]);
  });

  it('an object that does not read is counted and logged, and the others applied', async () => {
    const bad = pod({ uid: 'p9', name: 'broken', ip: '10.1.0.300' });
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }), bad] });
    const live = await follow();
    expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/cart-1']);
    expect(live.status().rejected.get('pods')).toBe(1);
    expect(live.log.lines.find((l) => l.level === 'warn')?.fields).toEqual({ resource: 'pods', object: 'item shop/broken: status.podIP: "10.1.0.300" is not an IP address' });
  });
});

describe('refusals', () => {
  it('RBAC denial of a list refuses to start, in one line naming the verb and resource', async () => {
    await startApi();
    api.denied.set('pods', 403);
    const error = await follow().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect((error as Error).message).toBe(
      'cannot list pods: 403 forbidden (RBAC: needs get/list/watch on pods): pods is forbidden: User "system:serviceaccount:flowaudit:flowaudit" cannot list resource "pods" in API group "" at the cluster scope',
    );
    // Not retried: the start fails once, and every resource stops.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.requests.filter((r) => r.startsWith('list pods'))).toEqual(['list pods']);
    expect(api.watching('nodes') + api.watching('services')).toBe(0);
  });

  it('a token the server refuses is 401, said so', async () => {
    await startApi();
    const index = new IdentityIndex();
    const file = api.writeKubeconfig(scratch, 'wrong-token');
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(TOKEN, 'stolen'));
    const source = new KubernetesWatchSource(new KubernetesApi(kubeconfigFile(file)), recordingLog(), FAST);
    running.push(source);
    await expect(source.start(index)).rejects.toThrow(/^cannot list (nodes|pods|services): 401 unauthorized \(the API server refused the token or client certificate\): Unauthorized$/);
  });

  it('RBAC revoked after the start: down, the reason named, the last state kept', async () => {
    await startApi({ pods: [pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' })] });
    const live = await follow();
    await vi.waitFor(() => expect(api.watching('pods')).toBe(1));
    api.denied.set('pods', 403);
    api.cutWatches();
    await vi.waitFor(() => expect(live.status().downReason).toMatch(/^cannot watch pods: 403 forbidden \(RBAC: needs get\/list\/watch on pods\)/));
    expect(names(live.index, '10.1.0.5')).toEqual(['pod shop/cart-1']);
  });
});
