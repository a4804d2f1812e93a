/**
 * The agent's behaviour driven through a fake source (test/support/fake-source.ts): crafted
 * packets in, and what comes out (live verdicts, violation records, metrics, /readyz, reloads)
 * checked in milliseconds, without root, namespaces or libpcap. What needs the kernel (capture,
 * interfaces going away, signals) stays in the watch-*.test.ts end-to-end tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentConfig } from '../../src/agent/agent.js';
import { ETHERTYPE, ethernet, ipv4, TCP_FLAGS, tcp } from '../../src/frame-builder.js';
import { testAgentConfig } from '../support/agent-config.js';
import { FakeSource } from '../support/fake-source.js';
import { exposedSeries } from '../support/exposition.js';
import { tempDir } from '../support/temp-dir.js';

const scratch = tempDir('agent');

/** Clients in 10.1.0.0/16 may reach servers in 10.2.0.0/16 on tcp/443 over `security`. */
function rules(security: 'tls' | 'none'): string {
  return `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: fake-site
  title: Agent test matrix
components:
  clients:
    match:
      - cidrs: ["10.1.0.0/16"]
  servers:
    match:
      - cidrs: ["10.2.0.0/16"]
connections:
  - { id: clients-to-servers, from: clients, to: servers, protocol: tcp, ports: [443], security: ${security} }
`;
}

const { SYN, ACK, PSH } = TCP_FLAGS;
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: server\r\n\r\n', 'latin1');

/** A plaintext HTTP request on a TLS port from client 10.1.0.N port `clientPort` to 10.2.0.1:443: handshake, then the request. */
function plaintextRequest(source: FakeSource, n: number, clientPort: number): void {
  const client = `10.1.0.${n}`;
  const server = '10.2.0.1';
  const frame = (src: string, dst: string, segment: Buffer): Buffer => ethernet(ipv4({ src, dst, protocol: 6, payload: segment }), { etherType: ETHERTYPE.Ipv4 });
  source.push(frame(client, server, tcp({ srcPort: clientPort, dstPort: 443, seq: 1000, flags: SYN })));
  source.push(frame(server, client, tcp({ srcPort: 443, dstPort: clientPort, seq: 5000, ack: 1001, flags: SYN | ACK })));
  source.push(frame(client, server, tcp({ srcPort: clientPort, dstPort: 443, seq: 1001, ack: 5001, flags: PSH | ACK, payload: REQUEST })));
}

interface Running {
  readonly agent: Agent;
  readonly source: FakeSource;
  readonly logs: Record<string, unknown>[];
  readonly rulesFile: string;
  readonly violationLog: string;
}

const running: Agent[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop();
});

let runs = 0;
async function startAgent(overrides: Partial<AgentConfig> = {}): Promise<Running> {
  const run = ++runs;
  const rulesFile = scratch.write(`rules-${run}.yaml`, rules('tls'));
  const violationLog = `${scratch.path}/violations-${run}.ndjson`;
  const source = new FakeSource();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const agent = await Agent.start(testAgentConfig({ rules: rulesFile, violationLog }, { sources: () => [source], ...overrides }), log);
  running.push(agent);
  return { agent, source, logs, rulesFile, violationLog };
}

async function scrape(agent: Agent): Promise<Map<string, number>> {
  return exposedSeries(await (await fetch(`http://${agent.address}/metrics`)).text());
}

function records(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const WAIT = { timeout: 3000, interval: 10 };

describe('Agent, driven by a fake source', () => {
  it('logs the source it captures on, and judges a live flow at its first payload: a violation record and metrics, before the flow ends', async () => {
    const { agent, source, logs, violationLog } = await startAgent();
    expect(logs.find((l) => l.msg === 'capturing')).toMatchObject({ interface: 'fake0', fake: true });
    plaintextRequest(source, 1, 40000);

    const [record] = await vi.waitFor(() => {
      const written = records(violationLog);
      expect(written).toHaveLength(1);
      return written;
    }, WAIT);
    expect(record).toMatchObject({ verdict: 'insecure', rule: 'clients-to-servers', end_reason: 'update', client: { address: '10.1.0.1', port: 40000 } });
    const series = await scrape(agent);
    expect(series.get('flowaudit_packets_total')).toBe(3);
    expect(series.get('flowaudit_flows_total{rule="clients-to-servers",verdict="insecure"}')).toBe(1);
    expect(series.get('flowaudit_violations_total{kind="insecure",from="clients",to="servers",port="443"}')).toBe(1);
    expect(series.get('flowaudit_live_flows')).toBe(1);
    expect(series.get('flowaudit_capture_received_packets_total{interface="fake0"}')).toBe(3);
  });

  it('at stop, ends and judges every live flow not yet judged, writes what is held, and closes its sources', async () => {
    const { agent, source, logs, violationLog } = await startAgent({ tickMs: 60_000 });
    plaintextRequest(source, 2, 40001);
    running.splice(running.indexOf(agent), 1);
    await agent.stop();

    // No tick ran: the flow was judged once, when stop() ended it.
    expect(records(violationLog)).toEqual([expect.objectContaining({ verdict: 'insecure', end_reason: 'end-of-capture' })]);
    expect(source.closed).toBe(true);
    expect(logs.find((l) => l.msg === 'flowaudit watch stopped')).toMatchObject({ packets: 3, flows: 1 });
  });

  it('at stop, a flow whose verdict was given live gets no second violation record', async () => {
    const { agent, source, violationLog } = await startAgent();
    plaintextRequest(source, 5, 40004);
    await vi.waitFor(() => expect(records(violationLog)).toHaveLength(1), WAIT);
    running.splice(running.indexOf(agent), 1);
    await agent.stop();

    expect(records(violationLog)).toEqual([expect.objectContaining({ verdict: 'insecure', end_reason: 'update' })]);
  });

  it('/readyz answers 503 with the reason while a source is down, 200 once it is back; flowaudit_capture_up and the reopen count follow', async () => {
    const { agent, source } = await startAgent();
    const readyz = async (): Promise<[number, string]> => {
      const res = await fetch(`http://${agent.address}/readyz`);
      return [res.status, await res.text()];
    };
    expect(await readyz()).toEqual([200, 'ready\n']);

    source.goDown('fake0: the interface disappeared');
    expect(await readyz()).toEqual([503, 'capture down, reopening: fake0: the interface disappeared\n']);
    expect((await scrape(agent)).get('flowaudit_capture_up{interface="fake0"}')).toBe(0);

    source.reopen();
    expect(await readyz()).toEqual([200, 'ready\n']);
    const series = await scrape(agent);
    expect(series.get('flowaudit_capture_up{interface="fake0"}')).toBe(1);
    expect(series.get('flowaudit_capture_reopens_total{interface="fake0"}')).toBe(1);
  });

  it('reload() takes good rules: logged with both hashes, counted, and later flows are judged by them', async () => {
    const { agent, source, logs, rulesFile, violationLog } = await startAgent();
    const before = String((logs.find((l) => l.msg === 'flowaudit watch started') as { hash: string }).hash);
    writeFileSync(rulesFile, rules('none'));

    expect(agent.reload()).toBe(true);
    const reloaded = logs.find((l) => l.msg === 'rules reloaded');
    expect(reloaded).toMatchObject({ profile: 'fake-site', previousHash: before });
    expect(reloaded!.hash).not.toBe(before);
    // Plaintext is what the new rules allow: the same request is no violation now.
    plaintextRequest(source, 3, 40002);
    await vi.waitFor(async () => expect((await scrape(agent)).get('flowaudit_flows_total{rule="clients-to-servers",verdict="allowed"}')).toBe(1), WAIT);
    const series = await scrape(agent);
    expect(series.get('flowaudit_rules_reloads_total{result="success"}')).toBe(1);
    expect(series.get('flowaudit_rules_last_reload_successful')).toBe(1);
    expect(series.get(`flowaudit_rules_info{profile="fake-site",hash="${String(reloaded!.hash)}"}`)).toBe(1);
    expect(records(violationLog)).toEqual([]);
  });

  it('reload() rejects rules that do not load: logged with the error, counted, and the rules in force keep judging', async () => {
    const { agent, source, logs, rulesFile, violationLog } = await startAgent();
    writeFileSync(rulesFile, 'apiVersion: flowaudit.dev/v1\nkind: [\n');

    expect(agent.reload()).toBe(false);
    const rejected = logs.find((l) => l.msg === 'reload rejected; keeping the rules in force');
    expect(rejected).toMatchObject({ profile: 'fake-site' });
    expect(String(rejected!.error)).toContain(rulesFile);
    plaintextRequest(source, 4, 40003);
    await vi.waitFor(() => expect(records(violationLog)).toEqual([expect.objectContaining({ verdict: 'insecure', rule: 'clients-to-servers' })]), WAIT);
    const series = await scrape(agent);
    expect(series.get('flowaudit_rules_reloads_total{result="failure"}')).toBe(1);
    expect(series.get('flowaudit_rules_last_reload_successful')).toBe(0);
  });

  it('a source that cannot start fails the start, and the sources started before it are closed', async () => {
    const first = new FakeSource('fake0');
    const broken = new FakeSource('fake1');
    broken.start = () => Promise.reject(new Error('fake1: no such device'));
    await expect(startAgent({ sources: () => [first, broken] })).rejects.toThrow('fake1: no such device');
    expect(first.closed).toBe(true);
  });
});
