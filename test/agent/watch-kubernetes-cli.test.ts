/**
 * `flowaudit watch --kubernetes` on the real CLI (dist/) against the fake API server of this
 * process: a kubeconfig with the test CA and a token, libpcap on loopback with a filter nothing
 * matches (no namespace). Refusals are one line and exit 2 before capturing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { AgentProcess } from '../support/agent-process.js';
import { FakeKubeApi, node, pod } from '../support/fake-kube-api.js';
import { makeTestPki, type TestPki } from '../support/test-pki.js';
import { tempDir } from '../support/temp-dir.js';
import { gate, REPO_ROOT } from '../support/tshark.js';

const scratch = tempDir('watch-kube');
const MAIN = join(REPO_ROOT, 'dist/bin/flowaudit.js');
const capture = gate(liveCaptureUnavailable());
const BASE = ['-i', 'lo', '--filter', 'tcp port 9', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0'];

let pki: TestPki;
let api: FakeKubeApi;
beforeAll(() => {
  pki = makeTestPki();
});
const agents: AgentProcess[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.kill();
  await api?.close();
});

/** Runs `watch ARGS` to its exit without blocking this process (the fake API answers from it). */
async function watchExit(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, 'watch', '--engine', 'pcap', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('watch --kubernetes', () => {
  it(`follows the API through --kubeconfig: identity metrics up, objects counted${capture.suffix}`, { skip: capture.skip, timeout: 30_000 }, async () => {
    capture.assertAvailable();
    api = await FakeKubeApi.start({ pki, token: 'cli-token' });
    api.upsert('nodes', node({ uid: 'n1', name: 'node-a', address: '192.168.1.10' }));
    api.upsert('pods', pod({ uid: 'p1', name: 'cart-1', ip: '10.1.0.5' }));
    const agent = await AgentProcess.start([...BASE, '--kubeconfig', api.writeKubeconfig(scratch)]);
    agents.push(agent);
    const series = await agent.waitForMetrics((m) => m.get('flowaudit_identity_objects{source="kubernetes",kind="pod"}') === 1);
    expect(series.get('flowaudit_identity_source_up{source="kubernetes"}')).toBe(1);
    expect(series.get('flowaudit_identity_objects{source="kubernetes",kind="node"}')).toBe(1);
    expect(agent.logs.find((l) => l.msg === 'following the Kubernetes API')).toMatchObject({ server: api.url, synced: true });
    expect(await (await fetch(`http://${agent.address}/readyz`)).text()).toBe('ready\n');
    agent.signal('SIGTERM');
    expect((await agent.exited()).code).toBe(0);
  });

  it(`an RBAC denial is one line and exit 2${capture.suffix}`, { skip: capture.skip, timeout: 30_000 }, async () => {
    capture.assertAvailable();
    api = await FakeKubeApi.start({ pki, token: 'cli-token' });
    api.denied.set('nodes', 403);
    const { code, stderr } = await watchExit([...BASE, '--kubernetes', '--kubeconfig', api.writeKubeconfig(scratch, 'denied')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^flowaudit: watch --kubernetes: cannot list nodes: 403 forbidden \(RBAC: needs get\/list\/watch on nodes\): nodes is forbidden: [^\n]*\n$/);
  });

  it(`--kubernetes outside a pod says what to give instead, exit 2${capture.suffix}`, { skip: capture.skip, timeout: 30_000 }, async () => {
    capture.assertAvailable();
    const env = { ...process.env };
    delete env.KUBERNETES_SERVICE_HOST;
    delete env.KUBERNETES_SERVICE_PORT;
    const { code, stderr } = await watchExit([...BASE, '--kubernetes'], env);
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'flowaudit: watch --kubernetes: not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (outside a cluster, give --kubeconfig FILE)\n' });
  });
});
