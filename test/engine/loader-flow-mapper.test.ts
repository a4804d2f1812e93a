/**
 * LoaderFlowMapper: a loader stream recorded in the pod lab (test/fixtures/loader/mapped.stream,
 * with tcpdump recordings of the same run taken in the client pods, mapped-<pod>.pcap; remade by
 * FLOWAUDIT_UPDATE_FIXTURES=1 on test/ebpf/engine-mapping.test.ts) replayed through decoder,
 * mapper and flow table gives the flow records the packet path gives for the recordings, field
 * by field; and each mapping rule on events made by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LoaderFlowMapper } from '../../src/engine/loader-flow-mapper.js';
import type { LoaderEvent, LoaderFlow, LoaderPayload } from '../../src/engine/loader-events.js';
import { decodeLoaderStream } from '../../src/engine/loader-stream.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/flow-table.js';
import { readFlows } from '../../src/flow/read-flows.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/loader/', import.meta.url));
const TABLE: Partial<FlowTableOptions> = { payloadLimit: 4096 };
/** The client pods' addresses (test/ebpf/pod-lab.ts): each flow is taken from its client's recording. */
const CLIENT_PODS = { b1: '10.237.1.11', b2: '10.237.1.12', r1: '10.237.2.11', r2: '10.237.2.12' };

/** A record with its payload as hex (the buffer is borrowed) and without its id (the engines number flows in another order). */
function comparable(r: FlowRecord): Record<string, unknown> {
  const direction = (d: FlowRecord['toServer']) => ({ ...d, payload: d.payload.toString('hex') });
  const { id: _id, ...rest } = r;
  return { ...rest, toServer: direction(r.toServer), toClient: direction(r.toClient) };
}

const byClient = (a: Record<string, any>, b: Record<string, any>) => `${a.client.address}:${a.client.port}`.localeCompare(`${b.client.address}:${b.client.port}`);

/**
 * Replays events into a table. A chunk carries no time: the replay takes its flow's first time
 * from the flow's next report (live, the mapper takes the wall clock, which the loader's times
 * also follow).
 */
function replay(events: readonly LoaderEvent[], sink: (r: FlowRecord) => void, options: Partial<FlowTableOptions> = TABLE): { mapper: LoaderFlowMapper; table: FlowTable } {
  const text = (e: LoaderFlow | LoaderPayload) => `${e.key.protocol} ${e.key.a.address}:${e.key.a.port} ${e.key.b.address}:${e.key.b.port}`;
  let chunkTime = 0;
  const table = new FlowTable({ onFlow: sink }, options);
  const mapper = new LoaderFlowMapper(table, { now: () => chunkTime });
  events.forEach((e, i) => {
    if (e.kind === 'payload') {
      const next = events.slice(i).find((f): f is LoaderFlow => f.kind === 'flow' && text(f) === text(e));
      chunkTime = next?.firstSeen ?? chunkTime;
    }
    mapper.handle(e);
  });
  table.flush();
  return { mapper, table };
}

describe('a recorded loader stream through decoder, mapper and flow table', () => {
  it('gives the flow records the packet path gives on tcpdump recordings of the same run, field by field', async () => {
    const { events, problems } = decodeLoaderStream(readFileSync(`${FIXTURES}mapped.stream`));
    expect(problems).toEqual([]);
    const fromEngine: Record<string, unknown>[] = [];
    const { mapper, table } = replay(events, (r) => fromEngine.push(comparable(r)));
    const fromPackets: Record<string, unknown>[] = [];
    for (const [pod, address] of Object.entries(CLIENT_PODS)) {
      await readFlows([`${FIXTURES}mapped-${pod}.pcap`], { onFlow: (r) => r.client.address === address && (r.protocol === 6 || r.protocol === 17) && fromPackets.push(comparable(r)) }, { table: TABLE });
    }
    expect(fromPackets).toHaveLength(5);
    // The kernel's clock and tcpdump's differ by microseconds: times are compared to 5 ms.
    const times = (r: Record<string, unknown>) => [r.firstSeen as number, r.lastSeen as number];
    const untimed = (r: Record<string, unknown>) => ({ ...r, firstSeen: 0, lastSeen: 0 });
    fromEngine.sort(byClient);
    fromPackets.sort(byClient);
    expect(fromEngine.map(untimed)).toEqual(fromPackets.map(untimed));
    fromEngine.forEach((r, i) => {
      const [first, last] = times(r);
      expect(Math.abs(first - times(fromPackets[i])[0])).toBeLessThan(0.005);
      expect(Math.abs(last - times(fromPackets[i])[1])).toBeLessThan(0.005);
    });
    expect(mapper.stats).toMatchObject({ unmapped: 0, loaderErrors: 0 });
    expect(table.observedStats).toMatchObject({ rejected: 0, restarted: 0, forgotten: 0 });
    expect(mapper.hello).toMatchObject({ kind: 'hello', attachMode: 'tcx' });
    expect([...mapper.interfaces.values()]).toEqual(expect.arrayContaining(['fa-e-br', 'fa-e-b1h', 'fa-e-r2h', 'fa-e-outh']));
    expect(mapper.kernel).toMatchObject({ kind: 'counters', mapFull: 0, ringReserveFailed: 0 });
  });
});
