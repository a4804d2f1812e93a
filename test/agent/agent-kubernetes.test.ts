/**
 * The agent with live Kubernetes identities: the real identity source against the fake API server
 * (test/support/fake-kube-api.ts), packets from the fake capture source. What the verdicts name,
 * the identity metrics and /readyz, as the API answers, goes away and comes back.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentConfig } from '../../src/agent/agent.js';
import { ETHERTYPE, ethernet, ipv4, TCP_FLAGS, tcp } from '../../src/frame-builder.js';
import { KubernetesApi } from '../../src/identity/kubernetes-api.js';
import { kubeconfigFile } from '../../src/identity/kubernetes-config.js';
import { KubernetesWatchSource } from '../../src/identity/kubernetes-watch-source.js';
import { testAgentConfig } from '../support/agent-config.js';
import { exposedSeries } from '../support/exposition.js';
import { FakeKubeApi, pod } from '../support/fake-kube-api.js';
import { FakeSource } from '../support/fake-source.js';
import { makeTestPki, type TestPki } from '../support/test-pki.js';
import { tempDir } from '../support/temp-dir.js';
import { gate, missingTools } from '../support/tshark.js';

const scratch = tempDir('agent-kube');
const TOKEN = 'agent-token';
const WAIT = { timeout: 4000, interval: 20 };
const promtool = gate(missingTools(['promtool']));

/** Pods labelled app=cart may reach pods labelled app=db on tcp/443 over TLS. */
const RULES = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: kube-site
  title: Live identities test matrix
components:
  cart:
    match:
      - kubernetes: { namespace: shop, labels: { app: cart } }
  db:
    match:
      - kubernetes: { namespace: shop, labels: { app: db } }
connections:
  - { id: cart-to-db, from: cart, to: db, protocol: tcp, ports: [443], security: tls }
`;

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startApi(): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start({ pki, token: TOKEN, bookmarkMs: 100 });
  cleanups.push(() => api.close());
  api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.1', labels: { app: 'cart' } }));
  api.upsert('pods', pod({ uid: 'p2', name: 'db-1', ip: '10.2.0.1', labels: { app: 'db' } }));
  return api;
}

let runs = 0;
async function startAgent(api: FakeKubeApi, overrides: Partial<AgentConfig> = {}): Promise<{ agent: Agent; source: FakeSource; violationLog: string }> {
  const run = ++runs;
  const source = new FakeSource();
  const violationLog = `${scratch.path}/violations-${run}.ndjson`;
  const kube = new KubernetesApi(kubeconfigFile(api.writeKubeconfig(scratch, `kubeconfig-${run}`)));
  const files = { rules: scratch.write(`rules-${run}.yaml`, RULES), violationLog };
  const liveIdentities: AgentConfig['liveIdentities'] = (log) => [new KubernetesWatchSource(kube, log, { firstRetryMs: 20, maxRetryMs: 200, idleMs: 1000 })];
  const agent = await Agent.start(testAgentConfig(files, { sources: () => [source], liveIdentities, ...overrides }), pino({ level: 'silent' }));
  cleanups.push(() => agent.stop());
  return { agent, source, violationLog };
}

/** A plaintext request on a TLS port from `client`:`port` to 10.2.0.1:443. */
function plaintextRequest(source: FakeSource, client: string, port: number): void {
  const frame = (src: string, dst: string, segment: Buffer): Buffer => ethernet(ipv4({ src, dst, protocol: 6, payload: segment }), { etherType: ETHERTYPE.Ipv4 });
  const { SYN, ACK, PSH } = TCP_FLAGS;
  source.push(frame(client, '10.2.0.1', tcp({ srcPort: port, dstPort: 443, seq: 1000, flags: SYN })));
  source.push(frame('10.2.0.1', client, tcp({ srcPort: 443, dstPort: port, seq: 5000, ack: 1001, flags: SYN | ACK })));
  source.push(frame(client, '10.2.0.1', tcp({ srcPort: port, dstPort: 443, seq: 1001, ack: 5001, flags: PSH | ACK, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') })));
}

function records(path: string): Record<string, any>[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>) : [];
}

async function readyz(agent: Agent): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${agent.address}/readyz`);
  return { status: response.status, body: (await response.text()).trim() };
}

async function scrape(agent: Agent): Promise<Map<string, number>> {
  return exposedSeries(await (await fetch(`http://${agent.address}/metrics`)).text());
}

describe('watch --kubernetes, in the agent', () => {
  it('names the ends of live flows by the pods the API holds, and stays ready on the last state when the API goes away', async () => {
    const api = await startApi();
    const { agent, source, violationLog } = await startAgent(api);
    expect(await readyz(agent)).toEqual({ status: 200, body: 'ready' });
    plaintextRequest(source, '10.1.0.1', 40000);
    const [first] = await vi.waitFor(() => {
      const written = records(violationLog);
      expect(written).toHaveLength(1);
      return written;
    }, WAIT);
    expect(first.verdict).toBe('insecure');
    expect(first.client.components).toEqual([{ name: 'cart', via: 'pod shop/cart-1' }]);
    expect(first.server.components).toEqual([{ name: 'db', via: 'pod shop/db-1' }]);

    let series = await scrape(agent);
    expect(series.get('flowaudit_identity_source_up{source="kubernetes"}')).toBe(1);
    expect(series.get('flowaudit_identity_source_up{source="files"}')).toBe(1);
    expect(series.get('flowaudit_identity_objects{source="kubernetes",kind="pod"}')).toBe(2);
    expect(series.get('flowaudit_identity_objects{source="kubernetes",kind="service"}')).toBe(0);
    expect(series.get('flowaudit_identity_source_restarts_total{source="kubernetes",resource="pods"}')).toBe(0);
    expect(series.get('flowaudit_identity_address_conflicts_total')).toBe(0);
    const synced = series.get('flowaudit_identity_source_last_sync_timestamp_seconds{source="kubernetes"}')!;
    expect(Math.abs(synced - Date.now() / 1000)).toBeLessThan(10);

    await api.down();
    await vi.waitFor(async () => expect((await readyz(agent)).body).toMatch(/^ready, degraded: identity source kubernetes down, auditing on its last state \(last synced 20\d\d-.*Z\): cannot (watch|list) (pods|services|nodes): connect ECONNREFUSED/), WAIT);
    expect((await readyz(agent)).status).toBe(200);
    series = await scrape(agent);
    expect(series.get('flowaudit_identity_source_up{source="kubernetes"}')).toBe(0);
    // Judged on the last state while the API is away.
    plaintextRequest(source, '10.1.0.1', 40001);
    await vi.waitFor(() => expect(records(violationLog)).toHaveLength(2), WAIT);
    expect(records(violationLog)[1].client.components).toEqual([{ name: 'cart', via: 'pod shop/cart-1' }]);

    await api.up();
    await vi.waitFor(async () => expect(await readyz(agent)).toEqual({ status: 200, body: 'ready' }), WAIT);
    series = await scrape(agent);
    expect(series.get('flowaudit_identity_source_up{source="kubernetes"}')).toBe(1);
    expect(series.get('flowaudit_identity_source_restarts_total{source="kubernetes",resource="pods"}')).toBeGreaterThanOrEqual(1);
    // No label carries a pod's name or address.
    expect([...series.keys()].filter((k) => k.startsWith('flowaudit_identity')).join('\n')).not.toMatch(/cart|10\.1\.0\.1/);
  });

  it('is not ready until the API has been listed once: the agent starts, and becomes ready when the API answers', async () => {
    const api = await startApi();
    await api.down();
    const { agent } = await startAgent(api);
    const before = await readyz(agent);
    expect(before.status).toBe(503);
    expect(before.body).toMatch(/^identity source kubernetes not synced yet: cannot list nodes: connect ECONNREFUSED 127\.0\.0\.1:\d+; cannot list pods: .*; cannot list services: /);
    expect((await scrape(agent)).get('flowaudit_identity_source_up{source="kubernetes"}')).toBe(0);
    await api.up();
    await vi.waitFor(async () => expect(await readyz(agent)).toEqual({ status: 200, body: 'ready' }), WAIT);
  });

  it('an RBAC refusal at start stops the start with the one-line reason', async () => {
    const api = await startApi();
    api.denied.set('services', 403);
    await expect(startAgent(api)).rejects.toThrow(/^cannot list services: 403 forbidden \(RBAC: needs get\/list\/watch on services\): services is forbidden/);
  });

  it(`serves identity metrics promtool accepts${promtool.suffix}`, { skip: promtool.skip }, async () => {
    promtool.assertAvailable();
    const { agent } = await startAgent(await startApi());
    const text = await (await fetch(`http://${agent.address}/metrics`)).text();
    expect(text).toContain('flowaudit_identity_source_up{source="kubernetes"} 1');
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
  });

  it('counts two live pods claiming one address', async () => {
    const api = await startApi();
    const { agent } = await startAgent(api);
    api.upsert('pods', pod({ uid: 'p3', name: 'cart-2', ip: '10.1.0.1', labels: { app: 'cart' } }));
    await vi.waitFor(async () => expect((await scrape(agent)).get('flowaudit_identity_address_conflicts_total')).toBe(1), WAIT);
  });
});
