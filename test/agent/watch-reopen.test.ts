/**
 * The captured interface disappears and comes back: `flowaudit watch` (dist/) captures the root
 * end of a veth pair (fa-h-<tag>) whose other end is in a namespace of our own (fa-h-<tag>,
 * 10.208.0.2); the test deletes the pair, waits through a few failed reopenings, recreates it and
 * sends traffic again; then takes it down and up. The agent must log each step, turn unready and
 * back, count on in the same series and expose flowaudit_capture_up and
 * flowaudit_capture_reopens_total.
 *
 * Traffic: UDP datagrams from the namespace to 10.208.0.9, a static neighbour with a made-up MAC,
 * so they cross the veth and nothing answers. Needs root, iproute2, python3, promtool and the cap
 * addon; without them the test skips and says why, with CI=true it fails instead. About 30 s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { AgentProcess } from '../support/agent-process.js';
import { liveCaptureUnavailable as namespacesUnavailable } from '../support/netns.js';
import { gate, missingTools, REPO_ROOT } from '../support/tshark.js';

const reason = namespacesUnavailable(['python3']) ?? missingTools(['promtool']) ?? liveCaptureUnavailable();
const live = gate(reason);

const TAG = String(process.pid % 100000);
const NS = `fa-h-${TAG}`;
const IFACE = `fa-h-${TAG}`; // the root namespace's end, the one captured
const NS_V4 = '10.208.0.2';
const SINK_V4 = '10.208.0.9'; // a neighbour that does not exist

const SEND = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"flowaudit reopen test", ("${SINK_V4}", 9999))
`;

function run(cmd: string, args: readonly string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

/** The veth pair, its namespace end configured; IPv6 off on the captured end (no stray packets). */
function createPair(): void {
  run('ip', ['link', 'add', IFACE, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', NS]);
  run('sysctl', ['-qw', `net.ipv6.conf.${IFACE}.disable_ipv6=1`]);
  run('ip', ['link', 'set', IFACE, 'up']);
  run('ip', ['-n', NS, 'addr', 'add', `${NS_V4}/24`, 'dev', 'veth0']);
  run('ip', ['-n', NS, 'link', 'set', 'veth0', 'up']);
  run('ip', ['-n', NS, 'neigh', 'replace', SINK_V4, 'lladdr', '02:00:00:00:00:09', 'dev', 'veth0', 'nud', 'permanent']);
}

function removeAll(): void {
  spawnSync('ip', ['link', 'del', IFACE], { stdio: 'ignore' });
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
}

function send(n: number): void {
  run('ip', ['netns', 'exec', NS, 'python3', '-c', SEND, String(n)]);
}

async function readyz(agent: AgentProcess): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${agent.address}/readyz`);
  return { status: res.status, body: (await res.text()).trim() };
}

const series = (name: string) => `${name}{interface="${IFACE}"}`;

describe.skipIf(live.skip)(`watch reopens an interface that disappears and comes back${live.suffix}`, () => {
  let agent: AgentProcess | undefined;

  beforeAll(() => {
    if (reason !== null) return;
    removeAll();
    run('ip', ['netns', 'add', NS]);
    run('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.all.disable_ipv6=1']);
    createPair();
  });

  afterAll(async () => {
    await agent?.kill();
    if (reason === null) removeAll();
  });

  it('logs the loss, retries with backoff, reopens, is ready again, captures again, and says so in metrics', async () => {
    live.assertAvailable();
    if (!existsSync(join(REPO_ROOT, 'dist/bin/flowaudit.js'))) throw new Error('dist/bin/flowaudit.js is missing: run npm run build first');
    agent = await AgentProcess.start(['--interface', IFACE, '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0']);
    const a = agent;
    send(20);
    let m = await a.waitForMetrics((s) => (s.get(series('flowaudit_capture_received_packets_total')) ?? 0) >= 20);
    expect(m.get(series('flowaudit_capture_up'))).toBe(1);
    expect(m.get(series('flowaudit_capture_reopens_total'))).toBe(0);
    expect(await readyz(a)).toEqual({ status: 200, body: 'ready' });

    // Gone: the capture stops, the agent says so and turns unready; reopening fails meanwhile.
    run('ip', ['link', 'del', IFACE]);
    const stopped = await a.waitForLog((l) => l.msg === 'capture stopped; reopening');
    expect(stopped).toMatchObject({ interface: IFACE, error: `${IFACE}: the interface disappeared`, retryInMs: 1000 });
    const down = await readyz(a);
    expect(down.status).toBe(503);
    expect(down.body).toBe(`capture down, reopening: ${IFACE}: the interface disappeared`);
    m = await a.metrics();
    expect(m.get(series('flowaudit_capture_up'))).toBe(0);
    expect(m.get(series('flowaudit_capture_received_packets_total')), 'counters keep their totals while down').toBeGreaterThanOrEqual(20);
    await a.waitForLog((l) => l.msg === 'capture not reopened; retrying' && l.retryInMs === 4000, 8000);
    const retries = a.logs.filter((l) => l.msg === 'capture not reopened; retrying');
    expect(retries.map((l) => l.retryInMs)).toEqual([2000, 4000]); // 1 s, then doubling
    expect(String(retries[0].error)).toMatch(new RegExp(`^${IFACE}: `));
    expect((await readyz(a)).status).toBe(503);

    // Back: reopened at the next try (4 s after the last), ready, capturing into the same series.
    createPair();
    const reopened = await a.waitForLog((l) => l.msg === 'capture reopened', 10_000);
    expect(reopened).toMatchObject({ interface: IFACE, linkType: 1 });
    expect(Number(reopened.downMs)).toBeGreaterThan(6000);
    expect(await readyz(a)).toEqual({ status: 200, body: 'ready' });
    const before = (await a.metrics()).get('flowaudit_packets_total')!;
    send(30);
    // libpcap counts a packet when it reaches the ring; the agent reads it within a second.
    m = await a.waitForMetrics((s) => (s.get(series('flowaudit_capture_received_packets_total')) ?? 0) >= 50 && s.get('flowaudit_packets_total')! - before >= 30);
    expect(m.get(series('flowaudit_capture_up'))).toBe(1);
    expect(m.get(series('flowaudit_capture_reopens_total'))).toBe(1);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: await a.metricsText(), encoding: 'utf8' });
    expect([check.status, check.stdout + check.stderr]).toEqual([0, '']);

    // Taken down and up again soon after: reopened alike, and the backoff goes on doubling (8 s)
    // rather than starting over, since the capture ran for less than 30 s: a flapping interface
    // costs one try per 30 s at most.
    run('ip', ['link', 'set', IFACE, 'down']);
    const stoppedAgain = await a.waitForLog((l) => l.msg === 'capture stopped; reopening' && l !== stopped);
    expect(stoppedAgain).toMatchObject({ interface: IFACE, retryInMs: 8000 });
    expect((await a.metrics()).get(series('flowaudit_capture_up'))).toBe(0);
    run('ip', ['link', 'set', IFACE, 'up']);
    await a.waitForLog((l) => l.msg === 'capture reopened' && l !== reopened, 12_000);
    m = await a.waitForMetrics((s) => s.get(series('flowaudit_capture_up')) === 1);
    expect(m.get(series('flowaudit_capture_reopens_total'))).toBe(2);
    expect(await readyz(a)).toEqual({ status: 200, body: 'ready' });

    a.signal('SIGTERM');
    expect(await a.exited()).toEqual({ code: 0, signal: null });
    expect(a.logs.filter((l) => l.level >= 50 && l.msg !== 'capture stopped; reopening')).toEqual([]);
    expect(a.logs.filter((l) => l.msg === 'capture stopped; reopening')).toHaveLength(2);
  }, 60_000);
});
