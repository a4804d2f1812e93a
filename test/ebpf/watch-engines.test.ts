/**
 * `flowaudit watch --engine ebpf` and `watch --engine pcap`, the real CLI, side by side on the same
 * pod traffic (test/ebpf/pod-lab.ts: TLS, HTTP and DNS pod to pod, pod to node, pod to outside):
 * the same violation records and the same flow metrics. The eBPF agent follows every fa-e-*
 * interface and counts each packet once; the libpcap agent captures on fa-e-b1h, fa-e-r1h and
 * fa-e-outh, which each of the run's five flows crosses exactly once. After SIGTERM no TCX link
 * of the loader is left. Root and eBPF; never at the same time as the other test/ebpf files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { gate } from '../support/tshark.js';
import { ourTcxLinks } from './hooks.js';
import { ebpfUnavailable } from './loader-process.js';
import { PODS, PodLab, sleep } from './pod-lab.js';
import { makeTraffic, POD_INVENTORY, startServers } from './traffic.js';
import { newTempDir, type TempDir } from '../support/temp-dir.js';

const g = gate(ebpfUnavailable());
/** Interfaces each of makeTraffic's flows crosses exactly once: b1's (TLS to b2, HTTP to the node), r1's (HTTP to r2, DNS from b2), the outside's (r2 to it). */
const PCAP_INTERFACES = [PODS.b1.veth, PODS.r1.veth, PODS.out.veth];

/** A violation record without what differs between the engines by nature: ids, and times to the microsecond. */
function comparable(record: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, first_seen: _f, last_seen: _l, duration: _d, ...rest } = record;
  return rest;
}

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => comparable(JSON.parse(l) as Record<string, unknown>))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The flow metrics both engines make: verdicts per rule, violations per kind, flows started. */
function flowSeries(series: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...series].filter(([name]) => /^flowaudit_(flows_total|violations_total|flows_started_total)\b/.test(name)).sort());
}

describe.skipIf(g.skip)(`watch --engine ebpf and --engine pcap on the same pod traffic${g.suffix}`, () => {
  let lab: PodLab;
  let dir: TempDir;
  const agents: AgentProcess[] = [];
  const ebpfSeries = new Map<string, number>();
  const pcapSeries = new Map<string, number>();
  let ebpfLoaderPid = 0;
  let exits: ({ code: number | null } | undefined)[] = [];

  beforeAll(async () => {
    g.assertAvailable();
    dir = newTempDir('ebpf-watch');
    const inventory = dir.file('inventory.yaml');
    writeFileSync(inventory, POD_INVENTORY);
    lab = await PodLab.create();
    await startServers(lab, dir.path);
    const common = (name: string) => ['--rules', 'apigee-hybrid-1.4', '--inventory', inventory, '--listen', '127.0.0.1:0', '--violation-log', dir.file(`${name}.ndjson`), '--flush-interval', '0.1'];
    const ebpf = await AgentProcess.start(['--engine', 'ebpf', '-i', 'fa-e-*', ...common('ebpf')]);
    agents.push(ebpf);
    const pcap = await AgentProcess.start(['--engine', 'pcap', ...PCAP_INTERFACES.flatMap((i) => ['-i', i]), ...common('pcap')]);
    agents.push(pcap);
    ebpfLoaderPid = Number((await ebpf.waitForLog((l) => l.msg === 'capturing')).pid);
    // Every node-side link attached before the traffic starts.
    await ebpf.waitForMetrics((m) => (m.get('flowaudit_engine_interfaces_attached') ?? 0) >= 6);
    makeTraffic(lab);
    await sleep(1500); // the last ACKs, and a loader sweep
    // Both have begun every flow and judged each one live (the flows end at SIGTERM).
    const ebpfFlows = await ebpf.waitForMetrics((m) => (m.get('flowaudit_flows_started_total') ?? 0) >= 5);
    for (const [k, v] of Object.entries(flowSeries(ebpfFlows))) ebpfSeries.set(k, v);
    const pcapFlows = await pcap.waitForMetrics((m) => JSON.stringify(flowSeries(m)) === JSON.stringify(flowSeries(ebpfFlows)), 5000).catch(() => pcap.metrics());
    for (const [k, v] of Object.entries(flowSeries(pcapFlows))) pcapSeries.set(k, v);
    for (const agent of agents) agent.signal('SIGTERM');
    exits = await Promise.all(agents.map((a) => a.exited()));
    for (const [agent, into] of [[ebpf, ebpfSeries], [pcap, pcapSeries]] as const) {
      const stopped = agent.logs.find((l) => l.msg === 'flowaudit watch stopped');
      into.set('flows', Number(stopped?.flows));
    }
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await lab?.destroy();
    dir?.remove();
  });

  it('both agents stop cleanly on SIGTERM, and the loader with its links is gone', () => {
    expect(exits.map((e) => e?.code)).toEqual([0, 0]);
    expect(() => process.kill(ebpfLoaderPid, 0)).toThrow();
    expect(ourTcxLinks()).toEqual([]);
  });

  it('writes the same violation records from either engine', () => {
    const ebpf = records(dir.file('ebpf.ndjson'));
    const pcap = records(dir.file('pcap.ndjson'));
    expect(ebpf.length).toBeGreaterThanOrEqual(3);
    expect(ebpf).toEqual(pcap);
  });

  it('exports the same flow metrics: flows begun, verdicts per rule, violations per kind', () => {
    expect(ebpfSeries.get('flowaudit_flows_started_total')).toBe(5);
    expect(Object.fromEntries(pcapSeries)).toEqual(Object.fromEntries(ebpfSeries));
  });

  it('ends the same number of flows', () => {
    expect(ebpfSeries.get('flows')).toBeGreaterThanOrEqual(5);
    expect(ebpfSeries.get('flows')).toBe(pcapSeries.get('flows'));
  });
});
