// What live Kubernetes identities cost the agent in memory: the fake API server of the tests
// (test/support/fake-kube-api.ts, bundled here with esbuild) serves 5,000 pods (50 namespaces,
// 1,000 apps of 5 pods, each pod with an app container and a sidecar of 24 environment variables,
// as the snapshot fixture of docs/limits.md), 1,000 Services selecting them and 100 nodes (one
// hostNetwork pod each), over HTTPS with a token, and `flowaudit watch` follows it. Measured:
//   1. the identity part alone, in a child process (node --expose-gc): heap, RSS and peak RSS before the
//      source starts, after the first sync (and how long it took), and after churn;
//   1b. its peer, the stack issue 18 named: @kubernetes/client-node's own informers (makeInformer
//      over CoreV1Api's list, for pods, Services and nodes) on the same server and kubeconfig, in
//      a child process the same way: before start, after sync (every informer's list() holding
//      the server's count), after churn. Only the informers' caches: no index is built from them;
//   2. the whole agent (dist/bin/flowaudit.js watch --engine pcap -i lo, a filter nothing
//      matches): VmRSS and VmHWM after sync and after churn, against the same agent without
//      --kubeconfig.
// Churn: ROUNDS rounds, each deleting 500 pods and creating 500 new ones on the same IPs (a new
// UID: the address history keeps who held each address), relabelling 500 others, and deleting
// and re-adding 50 Services. Run after `npm run build`:
//   node bench/kubernetes-identities.mjs [PODS] [SERVICES] [ROUNDS]     defaults 5000 1000 10
// AGENT_NODE_OPTIONS is given to the agent as NODE_OPTIONS (--max-old-space-size=N: V8's heap cap).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const out = join(here, 'out', 'kubernetes-identities');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = (bytes) => +(bytes / 2 ** 20).toFixed(1);

if (process.argv[2] === '--identities') await measureIdentities(process.argv[3]);
else if (process.argv[2] === '--informers') await measureInformers(process.argv[3], JSON.parse(process.argv[4]));
else await main();

async function main() {
  const [pods, services, rounds] = [Number(process.argv[2] ?? 5000), Number(process.argv[3] ?? 1000), Number(process.argv[4] ?? 10)];
  mkdirSync(out, { recursive: true });
  const { FakeKubeApi, pod, service, node, makeTestPki } = await testSupport();
  const api = await FakeKubeApi.start({ pki: makeTestPki(), token: 'bench-token', bookmarkMs: 10_000 });
  const cluster = makeCluster({ pod, service, node }, pods, services);
  for (const n of cluster.nodes) api.upsert('nodes', n);
  for (const p of cluster.pods) api.upsert('pods', p);
  for (const s of cluster.services) api.upsert('services', s);
  const listBytes = Buffer.byteLength(JSON.stringify(cluster.pods)) + Buffer.byteLength(JSON.stringify(cluster.services)) + Buffer.byteLength(JSON.stringify(cluster.nodes));
  const kubeconfig = api.writeKubeconfig({ write: (name, text) => (writeFileSync(join(out, name), text), join(out, name)) });
  const churn = () => churnRounds(api, cluster, { pod, service }, rounds);
  console.log(JSON.stringify({ pods, services, nodes: cluster.nodes.length, rounds, apiJsonMiB: MiB(listBytes) }));

  // 1. The identity part alone.
  const child = fork(new URL(import.meta.url).pathname, ['--identities', kubeconfig], { execArgv: ['--expose-gc'] });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  console.log(JSON.stringify({ identities: 'before start', ...(await next()) }));
  console.log(JSON.stringify({ identities: 'after sync', ...(await next()) }));
  await churn();
  await sleep(2000);
  child.send('measure');
  console.log(JSON.stringify({ identities: `after ${rounds} churn rounds`, ...(await next()) }));
  child.kill();

  // 1b. The peer: client-node's informers, on the same server (now after those churn rounds: the same counts).
  const counts = { pods: cluster.pods.length, services: cluster.services.length, nodes: cluster.nodes.length };
  const peer = fork(new URL(import.meta.url).pathname, ['--informers', kubeconfig, JSON.stringify(counts)], { execArgv: ['--expose-gc'] });
  const nextPeer = () => new Promise((resolve) => peer.once('message', resolve));
  console.log(JSON.stringify({ identities: 'client-node informers, before start', ...(await nextPeer()) }));
  const peerSynced = await nextPeer();
  console.log(JSON.stringify({ identities: 'client-node informers, after sync', ...peerSynced }));
  if (peerSynced.failed === undefined) {
    await churn();
    await sleep(2000);
    peer.send('measure');
    console.log(JSON.stringify({ identities: `client-node informers, after ${rounds} churn rounds`, ...(await nextPeer()) }));
  }
  peer.kill();

  // 2. The whole agent, with and without the identity source.
  for (const withKube of [false, true]) {
    const agent = await startAgent(withKube ? ['--kubeconfig', kubeconfig] : []);
    if (withKube) await agent.until((m) => m.includes(`flowaudit_identity_objects{source="kubernetes",kind="pod"} ${cluster.pods.length}`));
    await sleep(3000);
    console.log(JSON.stringify({ agent: withKube ? 'with --kubeconfig, after sync' : 'without --kubernetes', ...procMemory(agent.pid) }));
    if (withKube) {
      await churn();
      await sleep(3000);
      console.log(JSON.stringify({ agent: `with --kubeconfig, after ${rounds} more churn rounds`, ...procMemory(agent.pid), restarts: (await agent.metrics()).split('\n').filter((l) => l.startsWith('flowaudit_identity_source_restarts_total')) }));
    }
    agent.stop();
  }
  await api.close();
}

/** The child: the identity index and the Kubernetes source of dist/, measured at the parent's word. */
async function measureIdentities(kubeconfig) {
  const { IdentityIndex } = await import('../dist/identity/identity-index.js');
  const { KubernetesApi } = await import('../dist/identity/kubernetes-api.js');
  const { kubeconfigFile } = await import('../dist/identity/kubernetes-config.js');
  const { KubernetesWatchSource } = await import('../dist/identity/kubernetes-watch-source.js');
  const memory = () => {
    for (let i = 0; i < 3; i++) globalThis.gc();
    const m = process.memoryUsage();
    return { heapUsedMiB: MiB(m.heapUsed), heapTotalMiB: MiB(m.heapTotal), rssMiB: MiB(m.rss), hwmMiB: procMemory(process.pid).vmHwmMiB };
  };
  const index = new IdentityIndex();
  const source = new KubernetesWatchSource(new KubernetesApi(kubeconfigFile(kubeconfig)), { info: () => {}, warn: (f, m) => console.error(m, f) });
  process.send(memory());
  const t0 = performance.now();
  await source.start(index);
  const syncMs = Math.round(performance.now() - t0);
  const counts = index.kubernetes;
  process.send({ syncMs, ...memory(), held: counts });
  process.on('message', () => process.send({ ...memory(), held: index.kubernetes, status: { up: source.status().up, restarts: Object.fromEntries(source.status().restarts) } }));
}

/**
 * The peer child: @kubernetes/client-node's informers (ListWatch: one unpaged list through the
 * generated CoreV1Api, then a watch from its resourceVersion), each keeping every object whole.
 * Synced: every informer's start() has returned (its list applied, its watch answered) and its
 * list() holds the server's count.
 */
async function measureInformers(kubeconfig, counts) {
  const k8s = await import('@kubernetes/client-node');
  const memory = () => {
    for (let i = 0; i < 3; i++) globalThis.gc();
    const m = process.memoryUsage();
    return { heapUsedMiB: MiB(m.heapUsed), heapTotalMiB: MiB(m.heapTotal), rssMiB: MiB(m.rss), hwmMiB: procMemory(process.pid).vmHwmMiB };
  };
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const coreV1 = kc.makeApiClient(k8s.CoreV1Api);
  const informers = {
    pods: k8s.makeInformer(kc, '/api/v1/pods', () => coreV1.listPodForAllNamespaces()),
    services: k8s.makeInformer(kc, '/api/v1/services', () => coreV1.listServiceForAllNamespaces()),
    nodes: k8s.makeInformer(kc, '/api/v1/nodes', () => coreV1.listNode()),
  };
  const events = {};
  for (const [resource, informer] of Object.entries(informers)) {
    const e = (events[resource] = { connect: 0, add: 0, update: 0, delete: 0, error: [] });
    informer.on('connect', () => e.connect++);
    informer.on('add', () => e.add++);
    informer.on('update', () => e.update++);
    informer.on('delete', () => e.delete++);
    informer.on('error', (err) => e.error.push(String(err?.message ?? err)));
  }
  const held = () => Object.fromEntries(Object.entries(informers).map(([r, i]) => [r, i.list().length]));
  process.send(memory());
  const t0 = performance.now();
  await Promise.all(Object.values(informers).map((i) => i.start()));
  // An informer that fails calls its 'error' callbacks and stops (client-node does not retry it).
  for (let waited = 0; Object.entries(held()).some(([r, n]) => n !== counts[r]); waited += 10) {
    if (waited > 120_000 || Object.values(events).some((e) => e.error.length > 0)) {
      process.send({ failed: waited > 120_000 ? 'not synced in 120 s' : 'error', held: held(), events });
      return;
    }
    await sleep(10);
  }
  const syncMs = Math.round(performance.now() - t0);
  process.send({ syncMs, ...memory(), held: held(), events });
  process.on('message', () => process.send({ ...memory(), held: held(), events }));
}

/** The cluster: nodes, pods (one hostNetwork pod per node), Services selecting five pods each. */
function makeCluster({ pod, service, node }, podCount, serviceCount) {
  const nodes = Array.from({ length: 100 }, (_, i) => node({ uid: `node-${i}`, name: `node-${i}`, address: `192.168.${i >> 8}.${(i & 255) + 1}` }));
  const nodeAddress = (i) => `192.168.${i >> 8}.${(i & 255) + 1}`;
  const pods = [];
  for (let i = 0; i < podCount; i++) {
    const n = i % 100;
    const hostNetwork = i < 100;
    const appIndex = Math.floor(i / 5) % serviceCount;
    const app = `app-${appIndex}`;
    const ip = hostNetwork ? nodeAddress(n) : podIp(i);
    pods.push(withSidecar(pod({ uid: `pod-${i}`, name: `${app}-${i}`, namespace: `ns-${appIndex % 50}`, ip, node: `node-${n}`, hostIp: nodeAddress(n), labels: { app, 'pod-template-hash': 'abcdef123', tier: 'backend' }, hostNetwork, ports: [8080 + (i % 10)] })));
  }
  const services = Array.from({ length: serviceCount }, (_, i) => service({ uid: `svc-${i}`, name: `app-${i}`, namespace: `ns-${i % 50}`, clusterIp: `10.96.${i >> 8}.${i & 255}`, selector: { app: `app-${i}` } }));
  return { nodes, pods, services };
}

function podIp(i) {
  return `10.64.${i >> 8}.${i & 255}`;
}

/** A service-mesh sidecar, as real pods carry: what the audit never reads, and the API sends anyway. */
function withSidecar(raw) {
  raw.spec.containers.push({
    name: 'istio-proxy',
    image: 'docker.io/istio/proxyv2:1.20.0',
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning'],
    env: Array.from({ length: 24 }, (_, k) => ({ name: `ISTIO_META_VARIABLE_${k}`, value: `value-of-variable-${k}-with-some-length` })),
    volumeMounts: [{ name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' }, { name: 'istio-data', mountPath: '/var/lib/istio/data' }],
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
  });
  return raw;
}

/** Rounds of pods replaced on their IPs, relabelled, and Services removed and added back. */
async function churnRounds(api, cluster, { pod, service }, rounds) {
  let generation = 0;
  for (let round = 0; round < rounds; round++) {
    generation++;
    for (let k = 0; k < 500; k++) {
      const i = 100 + ((round * 500 + k) % (cluster.pods.length - 100));
      const old = cluster.pods[i];
      api.delete('pods', old.metadata.uid);
      const fresh = withSidecar(pod({ uid: `pod-${i}-g${generation}`, name: `${old.metadata.labels.app}-${i}-g${generation}`, namespace: old.metadata.namespace, ip: podIp(i), node: old.spec.nodeName, hostIp: old.status.hostIP, labels: old.metadata.labels, ports: [8080] }));
      cluster.pods[i] = fresh;
      api.upsert('pods', fresh);
    }
    for (let k = 0; k < 500; k++) {
      const i = 100 + ((round * 731 + k * 7) % (cluster.pods.length - 100));
      const p = cluster.pods[i];
      p.metadata = { ...p.metadata, labels: { ...p.metadata.labels, revision: `r${generation}` } };
      api.upsert('pods', p);
    }
    for (let k = 0; k < 50; k++) {
      const s = cluster.services[(round * 50 + k) % cluster.services.length];
      api.delete('services', s.metadata.uid);
      api.upsert('services', s);
    }
    await sleep(200);
  }
}

/** `flowaudit watch` on loopback (a filter nothing matches), its metrics and its pid. */
async function startAgent(args) {
  const child = spawn(process.execPath, [join(root, 'dist/bin/flowaudit.js'), 'watch', '--engine', 'pcap', '-i', 'lo', '--filter', 'tcp port 9', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: process.env.AGENT_NODE_OPTIONS ?? '' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  let listen;
  for (let i = 0; i < 600 && listen === undefined; i++) {
    await sleep(100);
    listen = /"listen":"([^"]+)"/.exec(stderr)?.[1];
    if (child.exitCode !== null) throw new Error(`agent exited: ${stderr}`);
  }
  const metrics = async () => (await fetch(`http://${listen}/metrics`)).text();
  return {
    pid: child.pid,
    metrics,
    until: async (accept) => {
      for (let i = 0; i < 600; i++) {
        if (accept(await metrics())) return;
        await sleep(100);
      }
      throw new Error('agent never synced');
    },
    stop: () => child.kill('SIGTERM'),
  };
}

function procMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]);
  return { vmRssMiB: MiB(kb('VmRSS') * 1024), vmHwmMiB: MiB(kb('VmHWM') * 1024) };
}

/** The tests' fake API server and PKI, bundled from TypeScript; vitest's afterAll (temp-dir.ts) is not needed here. */
async function testSupport() {
  const file = join(out, 'test-support.mjs');
  const noVitest = { name: 'no-vitest', setup: (b) => {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: 'vitest', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export const afterAll = () => {};', loader: 'js' }));
  } };
  const contents = "export * from './test/support/fake-kube-api.ts'; export { makeTestPki } from './test/support/test-pki.ts';";
  await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: file, plugins: [noVitest], logLevel: 'warning' });
  return import(file);
}
