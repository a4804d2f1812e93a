/**
 * The eBPF engine below the agent, live: LoaderSupervisor runs the real loader, its stream is
 * decoded and mapped (LoaderFlowMapper) into a FlowTable whose flows an Auditor judges; the
 * verdicts equal those of analyze's pipeline (readFlows, the same Auditor) on tcpdump recordings
 * of the same run, taken in the client pods. The loader is then killed (SIGKILL, in tc mode):
 * the supervisor counts it, restarts it, the restarted one removes the filters the dead one left,
 * and close() leaves none. FLOWAUDIT_UPDATE_FIXTURES=1 writes the run's stream and recordings
 * (test/fixtures/loader/mapped.*), which test/engine/loader-flow-mapper.test.ts replays without root.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditedFlow } from '../../src/audit/audited-flow.js';
import { Auditor } from '../../src/audit/auditor.js';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { loadIdentities } from '../../src/pipeline/load-identities.js';
import { LoaderFlowMapper } from '../../src/engine/loader-flow-mapper.js';
import { LoaderSupervisor } from '../../src/engine/loader-supervisor.js';
import { loaderEventType } from '../../src/engine/loader-schema.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/flow-table.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { gate } from '../support/tshark.js';
import { tcState } from './hooks.js';
import { ebpfUnavailable, LOADER } from './loader-process.js';
import { PODS, PodLab, sleep, waitFor } from './pod-lab.js';
import { CLIENTS, makeTraffic, POD_INVENTORY, startServers } from './traffic.js';
import { newTempDir, type TempDir } from '../support/temp-dir.js';

const g = gate(ebpfUnavailable());
const FIXTURES = fileURLToPath(new URL('../fixtures/loader/', import.meta.url));
const TABLE: Partial<FlowTableOptions> = { payloadLimit: 4096 };
interface Log {
  lines: { message: string; fields: Record<string, unknown> }[];
}

function logger(log: Log) {
  const at = (fields: Record<string, unknown>, message: string) => log.lines.push({ fields, message });
  return { info: at, warn: at, error: at } as unknown as ConstructorParameters<typeof LoaderSupervisor>[0]['logger'];
}

/** A verdict without what differs between the two engines by nature (ids, times to the microsecond). */
function comparable(flows: readonly AuditedFlow[]): object[] {
  return flows
    .map(({ id: _id, firstSeen: _first, lastSeen: _last, ...rest }) => rest)
    .sort((a, b) => `${a.client.address}:${a.client.port}`.localeCompare(`${b.client.address}:${b.client.port}`));
}

describe.skipIf(g.skip)(`eBPF engine: loader -> decoder -> mapper -> flow table -> audit, live${g.suffix}`, () => {
  let lab: PodLab;
  let dir: TempDir;
  const ebpfVerdicts: AuditedFlow[] = [];
  const pcapVerdicts: AuditedFlow[] = [];
  let mapper: LoaderFlowMapper;
  let table: FlowTable;
  const raw: Buffer[] = [];

  function auditor(into: AuditedFlow[]): Auditor {
    const matrix = loadMatrix('apigee-hybrid-1.4');
    const identities = loadIdentities({ inventory: [dir.file('inventory.yaml')], k8sSnapshot: [] }, matrix);
    return new Auditor(matrix, identities, [{ onAuditedFlow: (f) => into.push(f) }]);
  }

  beforeAll(async () => {
    g.assertAvailable();
    dir = newTempDir('ebpf-mapping');
    writeFileSync(dir.file('inventory.yaml'), POD_INVENTORY);
    lab = await PodLab.create();
    await startServers(lab, dir.path);
    table = new FlowTable(auditor(ebpfVerdicts), TABLE);
    mapper = new LoaderFlowMapper(table);
    // Sweeps every 200 ms: the run's flows are reported live several times before their end.
    const supervisor = new LoaderSupervisor({ loaderPath: LOADER, args: ['-i', 'fa-e-*', '--interval-ms', '200'], logger: logger({ lines: [] }), record: (c) => raw.push(Buffer.from(c)) });
    await supervisor.start({ loaderEvents: mapper });
    const nodeSide = ['fa-e-br', ...Object.values(PODS).map((p) => p.veth)];
    await waitFor(() => nodeSide.every((name) => [...mapper.interfaces.values()].includes(name)), 'every interface attached');
    const captures = await Promise.all(CLIENTS.map((pod) => lab.tcpdump(pod, dir.file(`${pod}.pcap`))));
    makeTraffic(lab);
    await sleep(500); // the last ACKs
    for (const c of captures) await c.stop();
    await supervisor.close();
    table.flush();
    if (process.env.FLOWAUDIT_UPDATE_FIXTURES === '1') {
      writeFileSync(join(FIXTURES, 'mapped.stream'), Buffer.concat(raw));
      for (const pod of CLIENTS) copyFileSync(dir.file(`${pod}.pcap`), join(FIXTURES, `mapped-${pod}.pcap`));
    }
    const reference = auditor(pcapVerdicts);
    for (const pod of CLIENTS) {
      await readFlows([dir.file(`${pod}.pcap`)], {
        onFlow(r) {
          if (r.client.address === PODS[pod].address && (r.protocol === 6 || r.protocol === 17)) reference.onFlow(r);
        },
      }, { table: TABLE });
    }
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    dir?.remove();
  });

  it('maps every event the loader sent, none rejected by the table', () => {
    expect(mapper.stats).toMatchObject({ unmapped: 0, loaderErrors: 0 });
    expect(mapper.stats.flows).toBeGreaterThanOrEqual(5);
    expect(table.observedStats).toMatchObject({ rejected: 0, restarted: 0, forgotten: 0 });
  });

  it('reports each kernel entry with one first time to the nanosecond, report after report (the loader follows no clock jitter)', () => {
    // Nanoseconds as the loader wrote them (the decoder keeps microseconds), read with protobufjs.
    const stream = Buffer.concat(raw);
    const reader = protobuf.Reader.create(stream);
    const firstNs = new Map<string, string>();
    let reportedAgain = 0;
    while (reader.pos < reader.len) {
      const e = loaderEventType().toObject(loaderEventType().decodeDelimited(reader), { longs: String, bytes: String });
      if (!e.flow) continue;
      const k = e.flow.key;
      const key = `${k.protocol} ${k.addressA} ${k.portA} ${k.addressB} ${k.portB}`;
      const earlier = firstNs.get(key);
      if (earlier !== undefined) {
        expect(e.flow.firstNs, key).toBe(earlier);
        reportedAgain++;
      }
      if ((e.flow.end ?? 0) === 0) firstNs.set(key, e.flow.firstNs);
      else firstNs.delete(key);
    }
    expect(reportedAgain).toBeGreaterThanOrEqual(5);
  });

  it('judges the run\'s five flows as analyze\'s pipeline judges the tcpdump recordings: the same clients, servers, counts, TLS and verdicts', () => {
    const ebpf = ebpfVerdicts.filter((f) => f.protocol === 'tcp' || f.protocol === 'udp');
    expect(ebpf).toHaveLength(5);
    expect(comparable(ebpf)).toEqual(comparable(pcapVerdicts));
    const verdicts = comparable(ebpf).map((f) => (f as AuditedFlow).verdict.kind);
    expect(new Set(verdicts).size).toBeGreaterThan(1); // an allowed flow and others, not one verdict for all
  });
});

describe.skipIf(g.skip)(`LoaderSupervisor with the real loader in tc mode: a killed loader is restarted and its filters removed${g.suffix}`, () => {
  let lab: PodLab | undefined;

  afterAll(async () => {
    await lab?.destroy();
  });

  it('counts the death, restarts the loader, leaves one filter per direction, and none after close()', async () => {
    g.assertAvailable();
    lab = await PodLab.create();
    const dev = PODS.b1.veth;
    const log: Log = { lines: [] };
    const supervisor = new LoaderSupervisor({ loaderPath: LOADER, args: ['-i', dev, '--attach', 'tc'], logger: logger(log), firstRetryMs: 100 });
    const events = new LoaderFlowMapper(new FlowTable({ onFlow: () => {} }));
    await supervisor.start({ loaderEvents: events });
    await waitFor(() => tcState(dev).filters.length === 2, 'the tc filters');
    process.kill(supervisor.describe().pid as number, 'SIGKILL');
    await waitFor(() => supervisor.stats().restarts === 1 && supervisor.stats().up, 'a restart');
    expect(log.lines.some((l) => l.message === 'eBPF loader stopped; restarting it' && l.fields.reason === 'the eBPF loader was killed by SIGKILL')).toBe(true);
    await waitFor(() => [...events.interfaces.values()].includes(dev), 'the restarted loader attached');
    expect(tcState(dev).filters.sort()).toEqual(['egress flowaudit_eg', 'ingress flowaudit_in']);
    await supervisor.close();
    expect(tcState(dev)).toEqual({ filters: [], clsact: false });
  }, 60_000);
});
