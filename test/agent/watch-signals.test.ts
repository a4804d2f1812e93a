/**
 * The agent's life on loopback: a live verdict for a connection that is still open, SIGHUP reloads
 * (a bad file rejected, the old rules kept; a good one applied), kill -9 losing nothing older than
 * the flush interval, and SIGTERM ending and judging every flow before a clean exit.
 *
 * Traffic stays on lo between 127.0.0.2 (component web) and 127.0.0.3 (component api), addresses
 * that exist on every Linux loopback; captured with libpcap through the agent, so it needs root
 * and the cap addon. Without them the tests skip and say why; with CI=true they fail instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable as addonUnavailable } from '../../src/capture/live-capture.js';
import { AgentProcess } from '../support/agent-process.js';
import { LOOPBACK_API, LOOPBACK_WEB, loopbackMatrix } from '../support/loopback-matrix.js';
import { sleep } from '../support/netns.js';
import { gate, missingTools } from '../support/tshark.js';

const reason = process.getuid?.() !== 0 ? 'needs root (live capture)' : missingTools(['python3', 'curl', 'promtool']) ?? addonUnavailable();
const live = gate(reason);

const WEB = LOOPBACK_WEB;
const API = LOOPBACK_API;
const PORT = 18443;
const CLOSED_PORT = 18999;

const matrix = (security: string): string => loopbackMatrix(`loopback-${security}`, 'Loopback agent test', PORT, security);

/** A client that connects from WEB, sends a plaintext request, and holds the connection open. */
const HOLDING_CLIENT = `
import socket, sys, time
s = socket.socket()
s.bind(("${WEB}", 0))
s.connect(("${API}", ${PORT}))
s.sendall(b"GET /held HTTP/1.1\\r\\nHost: api\\r\\n\\r\\n")
print("sent", flush=True)
time.sleep(float(sys.argv[1]))
`;
import { newTempDir } from '../support/temp-dir.js';

const children: ChildProcess[] = [];
let dir: string;
let agent: AgentProcess | undefined;

function startServer(): void {
  // A plaintext HTTP server on a port the matrix wants TLS on: every flow to it is insecure.
  const server = spawn('python3', ['-m', 'http.server', '--bind', API, String(PORT)], { cwd: dir, stdio: 'ignore' });
  children.push(server);
}

async function holdConnection(seconds: number): Promise<ChildProcess> {
  const client = spawn('python3', ['-c', HOLDING_CLIENT, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(client);
  await new Promise<void>((resolve) => client.stdout!.on('data', () => resolve()));
  return client;
}

function curl(port: number): void {
  spawnSync('curl', ['-s', '--max-time', '3', '--interface', WEB, `http://${API}:${port}/`], { stdio: 'ignore' });
}

const serverPort = (r: Record<string, unknown>): number => (r.server as { port: number }).port;

function records(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function startAgent(rules: string, log: string): Promise<AgentProcess> {
  agent = await AgentProcess.start([
    '--interface', 'lo', '--filter', `host ${API}`, '--rules', rules, '--listen', '127.0.0.1:0',
    '--violation-log', log, '--flush-interval', '0.5',
  ]);
  // The capture is open once the agent logs it; give libpcap a moment to attach.
  await sleep(300);
  return agent;
}

describe('flowaudit watch on loopback', () => {
  beforeAll(async () => {
    dir = newTempDir('watch').path;
    if (!live.skip && reason === null) {
      startServer();
      await sleep(500);
    }
  });
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it.skipIf(live.skip)(`judges a connection while it is still open, and SIGTERM judges and writes every flow before exiting 0${live.suffix}`, async () => {
    live.assertAvailable();
    const rules = join(dir, 'tls.yaml');
    writeFileSync(rules, matrix('tls'));
    const log = join(dir, 'term.ndjson');
    const a = await startAgent(rules, log);
    const held = await holdConnection(30);

    // The held connection's first payload is plaintext: insecure, logged while it is open.
    await a.waitForMetrics((m) => m.get(`flowaudit_violations_total{kind="insecure",from="web",to="api",port="${PORT}"}`) === 1);
    await sleep(700); // one flush interval and a margin
    const live1 = records(log);
    expect(live1.map((r) => [r.verdict, r.end_reason, serverPort(r)])).toEqual([['insecure', 'update', PORT]]);
    expect(held.exitCode).toBeNull();

    // A refused connection (RST, no payload) is judged when it ends; SIGTERM ends it at once.
    curl(CLOSED_PORT);
    a.signal('SIGTERM');
    expect(await a.exited()).toEqual({ code: 0, signal: null });
    const all = records(log);
    expect(all.map((r) => [r.verdict, r.end_reason, serverPort(r)])).toEqual([
      ['insecure', 'update', PORT],
      ['unexpected', 'rst', CLOSED_PORT],
    ]);
    // The held connection ended at shutdown with the verdict it had: counted and logged once.
    const stopped = await a.waitForLog((l) => l.msg === 'flowaudit watch stopped');
    expect(stopped.flows).toBe(2);
    held.kill();
  });

  it.skipIf(live.skip)(`SIGHUP rejects a bad rules file and keeps the old rules, then applies a good one${live.suffix}`, async () => {
    live.assertAvailable();
    const rules = join(dir, 'reload.yaml');
    writeFileSync(rules, matrix('tls'));
    const a = await startAgent(rules, join(dir, 'reload.ndjson'));
    const before = await a.metrics();
    const infoBefore = [...before.keys()].find((k) => k.startsWith('flowaudit_rules_info{'))!;
    expect(infoBefore).toContain('profile="loopback-tls"');

    writeFileSync(rules, matrix('tls').replace('from: web', 'from: nowhere'));
    a.signal('SIGHUP');
    const rejected = await a.waitForLog((l) => l.msg === 'reload rejected; keeping the rules in force');
    expect(String(rejected.error)).toMatch(/reload\.yaml:\d+:\d+: .*nowhere/);
    const afterBad = await a.waitForMetrics((m) => m.get('flowaudit_rules_reloads_total{result="failure"}') === 1);
    expect(afterBad.get('flowaudit_rules_last_reload_successful')).toBe(0);
    expect(afterBad.get(infoBefore)).toBe(1);
    curl(PORT);
    await a.waitForMetrics((m) => m.get('flowaudit_flows_total{rule="web-to-api",verdict="insecure"}') === 1);

    writeFileSync(rules, matrix('none'));
    a.signal('SIGHUP');
    await a.waitForLog((l) => l.msg === 'rules reloaded');
    const afterGood = await a.waitForMetrics((m) => m.get('flowaudit_rules_reloads_total{result="success"}') === 1);
    expect(afterGood.get('flowaudit_rules_last_reload_successful')).toBe(1);
    expect([...afterGood.keys()].filter((k) => k.startsWith('flowaudit_rules_info{'))).toEqual([expect.stringContaining('profile="loopback-none"')]);
    curl(PORT);
    await a.waitForMetrics((m) => m.get('flowaudit_flows_total{rule="web-to-api",verdict="allowed"}') === 1);
    // The live exposition follows Prometheus conventions (promtool prints nothing when it is clean).
    const check = spawnSync('promtool', ['check', 'metrics'], { input: await a.metricsText(), encoding: 'utf8' });
    expect([check.status, check.stdout + check.stderr]).toEqual([0, '']);
  });

  it.skipIf(live.skip)(`kill -9 loses no violation older than the flush interval${live.suffix}`, async () => {
    live.assertAvailable();
    const rules = join(dir, 'kill.yaml');
    writeFileSync(rules, matrix('tls'));
    const log = join(dir, 'kill.ndjson');
    const a = await startAgent(rules, log);
    for (let i = 0; i < 3; i++) curl(PORT);
    await a.waitForMetrics((m) => m.get(`flowaudit_violations_total{kind="insecure",from="web",to="api",port="${PORT}"}`) === 3);
    // Judged: now at most one flush interval (0.5 s) from the disk.
    await sleep(600);
    a.signal('SIGKILL');
    expect((await a.exited()).signal).toBe('SIGKILL');
    expect(records(log).filter((r) => r.verdict === 'insecure')).toHaveLength(3);
  });
});
