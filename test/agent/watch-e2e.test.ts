/**
 * Issue 5, end to end: `flowaudit watch` on a live bridge, scraped by a real Prometheus.
 *
 * A bridge lab (test/support/bridge-lab.ts) gives the Apigee hybrid 1.4 components each a network
 * namespace on the bridge fa-br0: mp (message-processor), cassandra, fluentd (udca), prom
 * (prometheus), mart, and a stranger no inventory names. Real TLS (openssl s_server/s_client, TLS
 * 1.2 with client certificates where the matrix asks for mTLS, so mTLS is provable) and plaintext
 * (python3 http.server, curl) flows run between them: three allowed ones and one of each deliberate
 * violation (mtls-missing, insecure, unexpected, wrong-initiator, unknown-peer). The agent captures
 * on fa-br0 with libpcap while tcpdump records the same bridge; Prometheus (Debian's `prometheus`)
 * scrapes the agent every second on 127.0.0.1. The test asserts through Prometheus's HTTP API that
 * flows, violations (exact labels), packets and capture drops appear, and that no label value is an
 * address; then SIGTERM (exit 0, everything flushed), and `analyze` on tcpdump's file must give
 * every flow the same final verdict as the agent's violation log.
 *
 * Needs root, iproute2, tcpdump, openssl, curl, python3, prometheus and the built cap addon
 * (`npm run build` first: the agent runs from dist/). Without them the test skips and says why;
 * with CI=true it fails instead. About 20 s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { BridgeLab, bridgeLabUnavailable, sleep, type Background, type ExecResult, type LabCapture } from '../support/bridge-lab.js';
import { makeTestPki, type TestPki } from '../support/test-pki.js';
import { gate } from '../support/tshark.js';
import { newTempDir } from '../support/temp-dir.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const BRIDGE = 'fa-br0';
const PROFILE = 'apigee-hybrid-1.4';

const unavailable = bridgeLabUnavailable(['tcpdump', 'openssl', 'curl', 'python3', 'ss', 'prometheus']) ?? liveCaptureUnavailable();
const live = gate(unavailable);

/** The lab's hosts: namespace fa-lab-<name>, its address, and the inventory's components (none: the stranger). */
const HOSTS = {
  mart: { address: '10.206.0.10', components: ['mart', 'cluster-pods'] },
  cassandra: { address: '10.206.0.20', components: ['cassandra', 'cluster-pods'] },
  mp: { address: '10.206.0.30', components: ['message-processor', 'cluster-pods'] },
  fluentd: { address: '10.206.0.40', components: ['udca', 'cluster-pods'] },
  prom: { address: '10.206.0.60', components: ['prometheus', 'cluster-pods'] },
  stranger: { address: '10.206.0.99', components: [] },
} as const;
type Host = keyof typeof HOSTS;
const addr = (h: Host): string => HOSTS[h].address;

interface ViolationLabels {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly port: string;
}

/** One connection the test makes, and what the audit must say of it. */
interface PlannedFlow {
  readonly what: string;
  readonly client: Host;
  readonly server: Host;
  readonly port: number;
  readonly verdict: string;
  readonly rule: string | null;
  /** The flowaudit_violations_total series it must count under (violations only). */
  readonly labels?: ViolationLabels;
  readonly connect: (lab: BridgeLab, pki: TestPki) => Promise<ExecResult>;
}

/** openssl s_client: handshake, one line, close (stdin ends: no -quiet, which would wait for the server). */
function tlsClient(from: Host, to: Host, port: number, extra: readonly string[] = []) {
  return (lab: BridgeLab, pki: TestPki) =>
    lab.run(from, ['openssl', 's_client', '-brief', '-connect', `${addr(to)}:${port}`, '-CAfile', pki.caCert, ...extra], { input: 'ping\n', timeoutMs: 10_000 });
}
function mtlsClient(from: Host, to: Host, port: number) {
  return (lab: BridgeLab, pki: TestPki) => tlsClient(from, to, port, ['-tls1_2', '-cert', pki.clientCert, '-key', pki.clientKey])(lab, pki);
}
function httpClient(from: Host, to: Host, port: number) {
  return (lab: BridgeLab) => lab.run(from, ['curl', '--silent', '--noproxy', '*', '--max-time', '5', '--output', '/dev/null', `http://${addr(to)}:${port}/`], { timeoutMs: 10_000 });
}

const FLOWS: readonly PlannedFlow[] = [
  { what: 'mTLS, TLS 1.2 with a client certificate', client: 'mp', server: 'cassandra', port: 9042, verdict: 'allowed', rule: 'message-processor-to-cassandra', connect: mtlsClient('mp', 'cassandra', 9042) },
  { what: 'mTLS to fluentd (analytics)', client: 'mp', server: 'fluentd', port: 20001, verdict: 'allowed', rule: 'message-processor-to-fluentd', connect: mtlsClient('mp', 'fluentd', 20001) },
  { what: 'TLS metrics scrape', client: 'prom', server: 'mart', port: 8843, verdict: 'allowed', rule: 'prometheus-to-mart', connect: tlsClient('prom', 'mart', 8843) },
  {
    what: 'TLS 1.2 without a client certificate on an mTLS rule (the server asks, accepts none)',
    client: 'mp', server: 'cassandra', port: 9142, verdict: 'mtls-missing', rule: 'message-processor-to-cassandra',
    labels: { kind: 'mtls-missing', from: 'message-processor', to: 'cassandra', port: '9142' },
    connect: tlsClient('mp', 'cassandra', 9142, ['-tls1_2']),
  },
  {
    what: 'plain HTTP on the TLS metrics port',
    client: 'prom', server: 'cassandra', port: 7070, verdict: 'insecure', rule: 'prometheus-to-cassandra',
    labels: { kind: 'insecure', from: 'prometheus', to: 'cassandra', port: '7070' },
    connect: httpClient('prom', 'cassandra', 7070),
  },
  {
    what: 'a port no rule names, between known components',
    client: 'mp', server: 'mart', port: 8080, verdict: 'unexpected', rule: null,
    labels: { kind: 'unexpected', from: 'message-processor', to: 'mart', port: 'other' },
    connect: httpClient('mp', 'mart', 8080),
  },
  {
    what: 'reversed initiator: fluentd opens the MP -> fluentd connection',
    client: 'fluentd', server: 'mp', port: 20001, verdict: 'wrong-initiator', rule: 'message-processor-to-fluentd',
    labels: { kind: 'wrong-initiator', from: 'udca', to: 'message-processor', port: '20001' },
    connect: tlsClient('fluentd', 'mp', 20001),
  },
  {
    what: 'an address no inventory names, TLS to MART',
    client: 'stranger', server: 'mart', port: 8443, verdict: 'unknown-peer', rule: null,
    labels: { kind: 'unknown-peer', from: 'unknown', to: 'mart', port: '8443' },
    connect: tlsClient('stranger', 'mart', 8443),
  },
];

function inventoryYaml(): string {
  const lines = ['# The bridge lab of test/agent/watch-e2e.test.ts; the stranger is left out on purpose.', 'apiVersion: flowaudit.dev/v1', 'kind: Inventory', 'entries:'];
  for (const [name, h] of Object.entries(HOSTS)) {
    if (h.components.length === 0) continue;
    lines.push(`  - name: ${name}`, `    addresses: [${h.address}]`, `    labels: { netns: fa-lab-${name} }`, `    components: [${h.components.join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

/** The servers each host runs (TLS ones asking for client certificates where the rule says mTLS). */
function startServers(lab: BridgeLab, pki: TestPki, www: string): Array<{ host: Host; port: number }> {
  const tls = (host: Host, port: number, extra: readonly string[] = []) =>
    lab.spawn(host, ['openssl', 's_server', '-rev', '-accept', `${addr(host)}:${port}`, '-cert', pki.serverCert, '-key', pki.serverKey, '-CAfile', pki.caCert, '-no_ticket', ...extra]);
  const http = (host: Host, port: number) => lab.spawn(host, ['python3', '-m', 'http.server', String(port), '--bind', addr(host)], { cwd: www });
  tls('cassandra', 9042, ['-Verify', '1', '-tls1_2']);
  tls('cassandra', 9142, ['-verify', '1', '-tls1_2']);
  http('cassandra', 7070);
  tls('fluentd', 20001, ['-Verify', '1', '-tls1_2']);
  tls('mart', 8843);
  tls('mart', 8443);
  http('mart', 8080);
  tls('mp', 20001);
  return [
    { host: 'cassandra', port: 9042 }, { host: 'cassandra', port: 9142 }, { host: 'cassandra', port: 7070 }, { host: 'fluentd', port: 20001 },
    { host: 'mart', port: 8843 }, { host: 'mart', port: 8443 }, { host: 'mart', port: 8080 }, { host: 'mp', port: 20001 },
  ];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

/** JSON lines the agent logged on stderr (pino). */
function agentLog(agent: Background): Array<Record<string, unknown>> {
  return agent.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, diagnostics: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
    await sleep(200);
  }
}

interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

class PrometheusApi {
  constructor(readonly base: string) {}

  async query(expr: string): Promise<PromSample[]> {
    const body = await this.get(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    const data = body.data as { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    if (data.resultType !== 'vector') throw new Error(`${expr}: ${data.resultType}, expected a vector`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  async series(match: string): Promise<Array<Record<string, string>>> {
    return (await this.get(`/api/v1/series?match[]=${encodeURIComponent(match)}`)).data as Array<Record<string, string>>;
  }

  async get(path: string): Promise<{ status: string; data: unknown; error?: string }> {
    const response = await fetch(this.base + path);
    const body = (await response.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body;
  }
}

interface FlowRecordJson {
  protocol: string;
  client: { address: string; port: number; component: string | null };
  server: { address: string; port: number; component: string | null };
  end_reason: string;
  verdict: string;
  rule: string | null;
}

/**
 * The series both the agent and `analyze --metrics-file` must agree on, as `name{labels} value`
 * lines: verdicts by rule (without `unverified`: only the live agent gives that, to flows whose
 * handshake it had not seen whole yet), violations, bytes per rule, and decoded IP packets.
 */
type Snapshot = Record<string, number>;
const COMPARED = ['flowaudit_flows_total', 'flowaudit_violations_total', 'flowaudit_rule_bytes_total'];

function snapshotKey(name: string, labels: Record<string, string>): string | undefined {
  if (name === 'flowaudit_flows_total' && labels.verdict === 'unverified') return undefined;
  const inner = Object.keys(labels).filter((k) => k !== '__name__' && k !== 'instance' && k !== 'job').sort().map((k) => `${k}="${labels[k]}"`).join(',');
  return `${name}{${inner}}`;
}

function okPackets(packets: number, decodeErrors: number[]): number {
  return packets - decodeErrors.reduce((a, b) => a + b, 0);
}

async function promSnapshot(api: PrometheusApi): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const name of COMPARED) {
    for (const s of await api.query(name)) {
      const key = snapshotKey(name, s.metric);
      if (key !== undefined) out[key] = s.value;
    }
  }
  const packets = (await api.query('flowaudit_packets_total'))[0]?.value ?? NaN;
  out.decoded_ip_packets = okPackets(packets, (await api.query('flowaudit_decode_errors_total')).map((s) => s.value));
  return out;
}

/** The same from Prometheus's text format. */
function textfileSnapshot(text: string): Snapshot {
  const out: Snapshot = {};
  let packets = NaN;
  const errors: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const [, name, rawLabels, value] = m;
    const labels = Object.fromEntries([...(rawLabels ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (name === 'flowaudit_packets_total') packets = Number(value);
    if (name === 'flowaudit_decode_errors_total') errors.push(Number(value));
    if (!COMPARED.includes(name)) continue;
    const key = snapshotKey(name, labels);
    if (key !== undefined) out[key] = Number(value);
  }
  out.decoded_ip_packets = okPackets(packets, errors);
  return out;
}

const fiveTuple = (r: FlowRecordJson): string => `${r.protocol} ${r.client.address}:${r.client.port} -> ${r.server.address}:${r.server.port}`;
const readNdjson = (file: string): FlowRecordJson[] =>
  readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FlowRecordJson);
const labelsKey = (l: ViolationLabels): string => `${l.kind} ${l.from} -> ${l.to} port ${l.port}`;

describe.skipIf(live.skip)(`flowaudit watch on a bridge, scraped by Prometheus${live.suffix}`, () => {
  let lab: BridgeLab | undefined;
  let pki: TestPki | undefined;
  let dir = '';
  let agent: Background;
  let prometheus: Background;
  let prom: PrometheusApi;
  let tcpdump: LabCapture;
  let violationLog = '';
  let inventory = '';
  let pcap = '';

  beforeAll(async () => {
    if (unavailable !== null) return;
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (the agent runs from dist/)`);
    dir = newTempDir('watch-e2e').path;
    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'metrics\n');
    inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, inventoryYaml());
    violationLog = join(dir, 'violations.ndjson');
    pcap = join(dir, 'bridge.pcap');
    pki = makeTestPki();
    lab = await BridgeLab.create(Object.entries(HOSTS).map(([name, h]) => ({ name, address: h.address })), { bridge: BRIDGE, prefix: 'fa-lab-' });

    for (const { host, port } of startServers(lab, pki, www)) await lab.waitListening(host, 'tcp', port);

    // The same frames, twice: tcpdump for analyze, the agent live.
    tcpdump = await lab.startTcpdump(pcap);
    agent = lab.spawnRoot([process.execPath, MAIN, 'watch', '--engine', 'pcap', '--interface', BRIDGE, '--rules', PROFILE, '--inventory', inventory,
      '--listen', '127.0.0.1:0', '--violation-log', violationLog, '--flush-interval', '0.5']);
    const started = await waitFor('the agent to start', 15_000, () => {
      if (agent.child.exitCode !== null) throw new Error(`the agent exited ${agent.child.exitCode}: ${agent.stderr}`);
      return agentLog(agent).find((l) => l.msg === 'flowaudit watch started');
    }, () => agent.stderr);
    const target = String(started.listen);
    expect(target).toMatch(/^127\.0\.0\.1:\d+$/);

    const promPort = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, [
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: flowaudit',
      `    static_configs: [{ targets: ["${target}"] }]`,
      '',
    ].join('\n'));
    prometheus = lab.spawnRoot(['prometheus', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);
    prom = new PrometheusApi(`http://127.0.0.1:${promPort}`);
    await waitFor('Prometheus to scrape the agent', 20_000, async () => {
      if (prometheus.child.exitCode !== null) throw new Error(`prometheus exited ${prometheus.child.exitCode}: ${prometheus.stderr}`);
      try {
        const up = await prom.query('up{job="flowaudit"}');
        return up.length === 1 && up[0].value === 1 ? true : undefined;
      } catch {
        return undefined; // not listening yet
      }
    }, () => prometheus.stderr);

    for (const flow of FLOWS) {
      const r = await flow.connect(lab, pki);
      if (r.status !== 0) throw new Error(`${flow.what} (${flow.client} -> ${flow.server}:${flow.port}): exit ${r.status ?? r.signal}\n${r.stderr}`);
    }

    // Until the agent has judged every flow (ticks every second) and Prometheus has scraped it.
    await waitFor('every deliberate violation in Prometheus', 20_000, async () => {
      const series = await prom.query('flowaudit_violations_total');
      const seen = new Set(series.map((s) => labelsKey(s.metric as unknown as ViolationLabels)));
      return FLOWS.every((f) => f.labels === undefined || seen.has(labelsKey(f.labels))) ? true : undefined;
    }, () => agent.stderr);
    // Closed connections linger 5 s for stray packets, then end at the next sweep: the agent's
    // clock moves without packets, so every flow ends (and its bytes count) with the bridge quiet.
    await waitFor('every flow to end (flowaudit_live_flows 0)', 25_000, async () => {
      const flows = await prom.query('flowaudit_live_flows');
      return flows.length === 1 && flows[0].value === 0 ? true : undefined;
    }, () => agent.stderr);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('Prometheus scrapes the agent: up, packets, capture counters for fa-br0 with no drops', async () => {
    live.assertAvailable();
    expect((await prom.query('up{job="flowaudit"}')).map((s) => s.value)).toEqual([1]);
    const packets = await prom.query('flowaudit_packets_total');
    expect(packets).toHaveLength(1);
    expect(packets[0].value).toBeGreaterThan(0);
    const received = await prom.query('flowaudit_capture_received_packets_total');
    expect(received.map((s) => s.metric.interface)).toEqual([BRIDGE]);
    expect(received[0].value).toBeGreaterThan(0);
    for (const name of ['flowaudit_capture_kernel_drops_total', 'flowaudit_capture_interface_drops_total']) {
      const drops = await prom.query(name);
      expect(drops.map((s) => [s.metric.interface, s.value]), name).toEqual([[BRIDGE, 0]]);
    }
    const info = await prom.query('flowaudit_rules_info');
    expect(info.map((s) => [s.metric.profile, s.value])).toEqual([[PROFILE, 1]]);
    const started = agentLog(agent).find((l) => l.msg === 'flowaudit watch started');
    expect(info[0].metric.hash, 'the hash the agent logged at start').toBe(started?.hash);
    expect(info[0].metric.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await prom.query('flowaudit_build_info')).toHaveLength(1);
    expect(await prom.query('flowaudit_live_flows')).toHaveLength(1);
    expect((await prom.query('flowaudit_flow_evictions_total')).map((s) => s.value)).toEqual([0]);
  });

  it('counts each deliberate violation once, with exactly its labels, and nothing else', async () => {
    live.assertAvailable();
    const series = await prom.query('flowaudit_violations_total');
    const got = Object.fromEntries(series.map((s) => [labelsKey(s.metric as unknown as ViolationLabels), s.value]));
    const want = Object.fromEntries(FLOWS.filter((f) => f.labels !== undefined).map((f) => [labelsKey(f.labels!), 1]));
    expect(got).toEqual(want);
  });

  it('counts the verdicts by rule: the good flows allowed, each violation under its rule', async () => {
    live.assertAvailable();
    const series = await prom.query('flowaudit_flows_total');
    // A live flow is judged as its evidence arrives: a TLS flow seen before its handshake ends can
    // first be `unverified` (counted too; a verdict counts once per flow). Every other verdict here
    // is a final one, each given once.
    const got = Object.fromEntries(series.filter((s) => s.metric.verdict !== 'unverified').map((s) => [`${s.metric.rule} ${s.metric.verdict}`, s.value]));
    const want: Record<string, number> = {};
    for (const f of FLOWS) {
      const key = `${f.rule ?? 'none'} ${f.verdict}`;
      want[key] = (want[key] ?? 0) + 1;
    }
    expect(got).toEqual(want);
    const seen = Object.fromEntries((await prom.query('flowaudit_rule_seen')).map((s) => [s.metric.rule, s.value]));
    for (const f of FLOWS) if (f.verdict === 'allowed') expect(seen[f.rule!], f.rule!).toBe(1);
    expect(seen['prometheus-to-udca'], 'an edge with no traffic reads 0').toBe(0);
    const lastSeen = Object.fromEntries((await prom.query('flowaudit_rule_last_seen_timestamp_seconds')).map((s) => [s.metric.rule, s.value]));
    for (const f of FLOWS) if (f.verdict === 'allowed') expect(Math.abs(lastSeen[f.rule!] - Date.now() / 1000), f.rule!).toBeLessThan(120);
  });

  it('no label value of any flowaudit series is an address', async () => {
    live.assertAvailable();
    const all = await prom.series('{__name__=~"flowaudit_.+"}');
    expect(all.length).toBeGreaterThan(20);
    const offending: string[] = [];
    for (const labels of all) {
      for (const [name, value] of Object.entries(labels)) {
        if (name === 'instance') continue; // Prometheus's own target label: the agent's 127.0.0.1:PORT
        if (isIP(value) !== 0 || /\d+\.\d+\.\d+\.\d+/.test(value) || value.includes('10.206.')) offending.push(`${labels.__name__}{${name}="${value}"}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('logs each violation while the flow runs, flushed before any shutdown', () => {
    live.assertAvailable();
    const records = readNdjson(violationLog);
    const violations = FLOWS.filter((f) => f.labels !== undefined);
    for (const f of violations) {
      const match = records.filter((r) => r.client.address === addr(f.client) && r.server.address === addr(f.server) && r.server.port === f.port);
      expect(match.map((r) => [r.verdict, r.rule, r.end_reason]), f.what).toEqual([[f.verdict, f.rule, 'update']]);
    }
    expect(records).toHaveLength(violations.length);
  });

  it('on SIGTERM exits 0 having flushed; analyze on the tcpdump capture gives every flow the same final verdict', async () => {
    live.assertAvailable();
    // What Prometheus holds from the agent before it stops (every flow has ended: see beforeAll).
    const liveMetrics = await promSnapshot(prom);
    const exit = await lab!.stop(agent, 'SIGTERM', 15_000);
    expect(exit, agent.stderr).toEqual({ code: 0, signal: null });
    const log = agentLog(agent);
    expect(log.some((l) => l.msg === 'flowaudit watch stopped'), agent.stderr).toBe(true);
    expect(log.filter((l) => Number(l.level) >= 50), 'no error logged').toEqual([]);
    await sleep(300); // the last ACKs, if any were still in flight
    const tcpdumpStats = await tcpdump.stop();
    expect(tcpdumpStats).toMatch(/^0 packets dropped by kernel/m);

    const report = join(dir, 'analyze.ndjson');
    const metricsFile = join(dir, 'analyze.prom');
    const analyze = spawnSync(process.execPath, [MAIN, 'analyze', pcap, '--rules', PROFILE, '--inventory', inventory, '--output', report, '--ndjson-records', 'violations', '--metrics-file', metricsFile, '-q'], { encoding: 'utf8', timeout: 30_000 });
    expect(analyze.status, analyze.stderr).toBe(1); // violations: the audit fails

    // The agent's log holds one record per verdict it gave a violating flow while the flow ran
    // (end_reason "update"), and a final one only if the verdict at the end differed; analyze gives
    // each flow one record, its final verdict. So: the last record per 5-tuple in the agent's log
    // against analyze's record for that 5-tuple. Both read the same frames, so even the client
    // ports agree.
    const finalLive = new Map<string, string>();
    for (const r of readNdjson(violationLog)) finalLive.set(fiveTuple(r), `${r.verdict} ${r.rule}`);
    const offline = new Map<string, string>();
    for (const r of readNdjson(report)) {
      expect(offline.has(fiveTuple(r)), `analyze: one record per flow (${fiveTuple(r)})`).toBe(false);
      offline.set(fiveTuple(r), `${r.verdict} ${r.rule}`);
    }
    expect(new Map([...finalLive].sort()), 'agent (last record per flow) vs analyze').toEqual(new Map([...offline].sort()));

    // And as the issue puts it: (client, server, port, verdict, rule), which are the ones we made.
    const shape = (r: FlowRecordJson) => `${r.client.address} -> ${r.server.address}:${r.server.port} ${r.verdict} ${r.rule}`;
    const expected = FLOWS.filter((f) => f.labels !== undefined).map((f) => `${addr(f.client)} -> ${addr(f.server)}:${f.port} ${f.verdict} ${f.rule}`).sort();
    expect([...new Set(readNdjson(report).map(shape))].sort()).toEqual(expected);

    // The same in metrics: the agent's series, as Prometheus scraped them, against the file
    // analyze writes for the textfile collector. Packets compare as decoded IP packets: late ARP
    // refreshes (not-ip) may reach tcpdump's file after the last scrape.
    const offlineMetrics = textfileSnapshot(readFileSync(metricsFile, 'utf8'));
    expect(liveMetrics, 'live (Prometheus) vs analyze --metrics-file').toEqual(offlineMetrics);
  }, 60_000);
});
