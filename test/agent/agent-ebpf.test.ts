/**
 * The agent on the eBPF engine, driven by the fake loader (test/fixtures/loader/fake-loader.mjs,
 * run by node) replaying a stream a real loader recorded (mapped.stream) or one written here from
 * the schema: verdicts from loader events, /readyz and flowaudit_engine_loader_up while the loader
 * is down, restarts and the kernel's losses in the metrics, the loader stopped with the agent.
 * Milliseconds, no root; the kernel run is test/ebpf/watch-engines.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, type AgentConfig } from '../../src/agent/agent.js';
import { loaderEventType } from '../../src/engine/loader-schema.js';
import { LoaderSupervisor } from '../../src/engine/loader-supervisor.js';
import { testAgentConfig } from '../support/agent-config.js';
import { exposedSeries } from '../support/exposition.js';
import { tempDir } from '../support/temp-dir.js';
import { processAlive } from '../support/process-alive.js';

const FAKE = fileURLToPath(new URL('../fixtures/loader/fake-loader.mjs', import.meta.url));
const scratch = tempDir('agent-ebpf');
let runs = 0;

/**
 * A recorded stream with its flows' times moved so that its last packet is now: the agent's clock
 * is the wall clock, which would time out a recording's flows between two of their reports.
 */
function streamOfNow(recorded: string): string {
  const type = loaderEventType();
  const reader = protobuf.Reader.create(readFileSync(recorded));
  const events: Record<string, any>[] = [];
  while (reader.pos < reader.len) events.push(type.toObject(type.decodeDelimited(reader), { longs: String }));
  const last = events.reduce((max, e) => (e.flow === undefined ? max : Math.max(max, Number(BigInt(e.flow.lastNs) / 1_000_000n))), 0);
  const shift = BigInt(Date.now() - last) * 1_000_000n;
  for (const e of events) {
    if (e.flow === undefined) continue;
    e.flow.firstNs = String(BigInt(e.flow.firstNs) + shift);
    e.flow.lastNs = String(BigInt(e.flow.lastNs) + shift);
  }
  return scratch.write(`now-${++runs}.stream`, Buffer.concat(events.map(delimited)));
}

/** A real loader's run (test/ebpf/engine-mapping.test.ts): five flows, the last report of each `end: stop`. */
const MAPPED_STREAM = fileURLToPath(new URL('../fixtures/loader/mapped.stream', import.meta.url));
const MAPPED = () => streamOfNow(MAPPED_STREAM);

/** The kernel counters the recorded run ended with (its last Counters event). */
function recordedCounters(): { packets: number; duplicateHook: number } {
  const type = loaderEventType();
  const reader = protobuf.Reader.create(readFileSync(MAPPED_STREAM));
  let counters = { packets: 0, duplicateHook: 0 };
  while (reader.pos < reader.len) {
    const e = type.toObject(type.decodeDelimited(reader), { longs: Number });
    if (e.counters) counters = e.counters;
  }
  return counters;
}

/** Connect (10.237.1.11) may reach mart (10.237.1.12) on tcp/8443 over TLS: the recorded TLS pair; the run's other flows are not in it. */
const RULES = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: pod-lab
  title: Agent eBPF test matrix
components:
  connect:
    match:
      - cidrs: ["10.237.1.11/32"]
  mart:
    match:
      - cidrs: ["10.237.1.12/32"]
connections:
  - { id: connect-to-mart, from: connect, to: mart, protocol: tcp, ports: [8443], security: tls }
`;

function delimited(event: Record<string, unknown>): Buffer {
  const type = loaderEventType();
  return Buffer.from(type.encodeDelimited(type.fromObject(event)).finish());
}

const HELLO = { hello: { schemaVersion: 1, attachMode: 'tc', maxFlows: 1024, ringBytes: 4096, payloadLimit: 4096 } };
const LOSSES = { counters: { packets: 50, duplicateHook: 7, ringReserveFailed: 3, mapFull: 2, evicted: 1, notIp: 4, truncated: 0, fragments: 0, fragmentWithoutFirst: 5, tooManyExtHeaders: 0,
  reusedTuples: 8, reuseNotSplit: 1, lateAfterClose: 9, mapEntries: 600 } };
const attached = (ifIndex: number, name: string) => ({ interface: { ifIndex, name, attached: true, mode: 'tc' } });

const running: Agent[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop();
});

async function startAgent(mode: string, stream: string, firstRetryMs = 20) {
  const run = ++runs;
  const violationLog = `${scratch.path}/violations-${run}.ndjson`;
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const sources: AgentConfig['sources'] = (l) => [new LoaderSupervisor({ loaderPath: process.execPath, args: [FAKE, mode, stream], logger: l, firstRetryMs, maxRetryMs: firstRetryMs * 8, stopTimeoutMs: 500 })];
  const agent = await Agent.start(testAgentConfig({ rules: scratch.write(`rules-${run}.yaml`, RULES), violationLog }, { sources, table: { payloadLimit: 4096 } }), log);
  running.push(agent);
  return { agent, logs, violationLog };
}

async function scrape(agent: Agent): Promise<Map<string, number>> {
  return exposedSeries(await (await fetch(`http://${agent.address}/metrics`)).text());
}

async function readyz(agent: Agent): Promise<[number, string]> {
  const res = await fetch(`http://${agent.address}/readyz`);
  return [res.status, await res.text()];
}

function records(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const WAIT = { timeout: 3000, interval: 10 };

describe('Agent on the eBPF engine, driven by a fake loader', () => {
  it('judges the flows of the loader\'s events: the TLS pair allowed, the other four violations, with the engine, its interfaces and kernel counters in the metrics', async () => {
    const { agent, logs, violationLog } = await startAgent('stay', MAPPED());
    expect(logs.find((l) => l.msg === 'capturing')).toMatchObject({ interface: 'ebpf', attachMode: 'tcx', maxFlows: 65536 });

    await vi.waitFor(async () => expect((await scrape(agent)).get('flowaudit_flows_total{rule="connect-to-mart",verdict="allowed"}')).toBe(1), WAIT);
    await vi.waitFor(() => expect(records(violationLog)).toHaveLength(4), WAIT);
    const written = records(violationLog);
    expect(written.map((r) => `${(r.client as { address: string }).address} ${(r.server as { address: string; port: number }).address}:${(r.server as { port: number }).port}`).sort()).toEqual([
      '10.237.1.11 10.237.1.1:8081',
      '10.237.1.12 10.237.2.11:53',
      '10.237.2.11 10.237.2.12:8080',
      '10.237.2.12 10.237.9.2:8082',
    ]);
    const series = await scrape(agent);
    expect(series.get('flowaudit_engine_info{engine="ebpf",attach_mode="tcx"}')).toBe(1);
    expect(series.get('flowaudit_engine_loader_up')).toBe(1);
    expect(series.get('flowaudit_engine_loader_restarts_total')).toBe(0);
    expect(series.get('flowaudit_engine_interfaces_attached')).toBe(6);
    const kernel = recordedCounters();
    expect(kernel.duplicateHook).toBeGreaterThan(0);
    expect(series.get('flowaudit_engine_kernel_packets_total')).toBe(kernel.packets);
    expect(series.get('flowaudit_engine_kernel_duplicate_hook_passes_total')).toBe(kernel.duplicateHook);
    expect(series.get('flowaudit_engine_kernel_losses_total{reason="map_full"}')).toBe(0);
    expect(series.get('flowaudit_flows_started_total')).toBe(5);
    expect(series.get('flowaudit_packets_total')).toBe(0);
    expect(await readyz(agent)).toEqual([200, 'ready\n']);
  });

  it('exports the kernel\'s losses per reason as counters that add up over loader runs, and logs the loader\'s errors', async () => {
    const stream = scratch.write(
      `losses-${runs}.stream`,
      Buffer.concat([
        delimited(HELLO), delimited(attached(3, 'veth1')), delimited(attached(4, 'veth2')), delimited(LOSSES),
        // A second run: the kernel's counters start from zero again, the interfaces are attached anew.
        delimited(HELLO), delimited(attached(3, 'veth1')), delimited({ error: { message: 'eth9: cannot attach: not an Ethernet interface' } }), delimited(LOSSES),
      ]),
    );
    const { agent, logs } = await startAgent('stay', stream);
    await vi.waitFor(() => expect(logs.find((l) => l.msg === 'eBPF loader error')).toMatchObject({ loader: 'eth9: cannot attach: not an Ethernet interface' }), WAIT);
    const series = await scrape(agent);
    expect(series.get('flowaudit_engine_kernel_losses_total{reason="ring_reserve_failed"}')).toBe(6);
    expect(series.get('flowaudit_engine_kernel_losses_total{reason="map_full"}')).toBe(4);
    expect(series.get('flowaudit_engine_kernel_losses_total{reason="evicted"}')).toBe(2);
    expect(series.get('flowaudit_engine_kernel_losses_total{reason="reuse_not_split"}')).toBe(2);
    expect(series.get('flowaudit_engine_kernel_reused_tuples_total')).toBe(16);
    expect(series.get('flowaudit_engine_kernel_late_packets_total')).toBe(18);
    // A gauge: the running loader's map, not a sum over runs.
    expect(series.get('flowaudit_engine_map_flows')).toBe(600);
    expect(series.get('flowaudit_engine_kernel_unparsed_packets_total{reason="fragment_without_first"}')).toBe(10);
    expect(series.get('flowaudit_engine_kernel_packets_total')).toBe(100);
    expect(series.get('flowaudit_engine_interfaces_attached')).toBe(1);
    expect(series.get('flowaudit_engine_info{engine="ebpf",attach_mode="tc"}')).toBe(1);
  });

  it('while the loader is down /readyz answers 503 with how it died and flowaudit_engine_loader_up is 0; its restart is counted', async () => {
    // `crash`: the loader writes its stream (Hello first), then is killed by SIGKILL; restarted after 400 ms.
    const { agent } = await startAgent('crash', MAPPED(), 400);
    await vi.waitFor(async () => expect(await readyz(agent)).toEqual([503, 'capture down, reopening: the eBPF loader was killed by SIGKILL\n']), WAIT);
    const down = await scrape(agent);
    expect(down.get('flowaudit_engine_loader_up')).toBe(0);
    expect(down.get('flowaudit_engine_interfaces_attached')).toBe(0);
    expect(down.get('flowaudit_engine_info{engine="ebpf",attach_mode="none"}')).toBe(1);
    await vi.waitFor(async () => expect((await scrape(agent)).get('flowaudit_engine_loader_restarts_total')).toBeGreaterThanOrEqual(1), WAIT);
    // The metrics endpoint kept answering throughout.
    expect((await scrape(agent)).get('flowaudit_flows_started_total')).toBe(5);
  });

  it('stop() stops the loader (SIGTERM) after reading its last report, and ends every flow', async () => {
    const { agent, logs } = await startAgent('stay', MAPPED());
    const pid = (logs.find((l) => l.msg === 'capturing') as { pid: number }).pid;
    expect(processAlive(pid)).toBe(true);
    running.splice(running.indexOf(agent), 1);
    await agent.stop();
    expect(processAlive(pid)).toBe(false);
    expect(logs.find((l) => l.msg === 'flowaudit watch stopped')).toMatchObject({ flows: 5 });
  });

  it('a loader that cannot start fails the agent\'s start with its one line', async () => {
    await expect(startAgent('exit-3', MAPPED())).rejects.toThrow(
      'the eBPF loader exited with code 3: flowaudit-loader: missing capability CAP_BPF (to load the eBPF programs and create and read their maps)',
    );
  });
});
