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
import { readFlows } from '../../src/pipeline/read-flows.js';

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

const T0 = 1_800_000_000;

function flow(over: Partial<LoaderFlow> & { protocol?: number; a?: [string, number]; b?: [string, number] }): LoaderFlow {
  const [aAddress, aPort] = over.a ?? ['10.0.0.1', 40000];
  const [bAddress, bPort] = over.b ?? ['10.0.0.2', 53];
  return {
    kind: 'flow',
    key: { ipVersion: 4, protocol: over.protocol ?? 17, a: { address: aAddress, port: aPort }, b: { address: bAddress, port: bPort } },
    aToB: over.aToB ?? { packets: 1, bytes: 60, tcpFlags: 0 },
    bToA: over.bToA ?? { packets: 1, bytes: 80, tcpFlags: 0 },
    synSide: over.synSide ?? null,
    synAckSide: over.synAckSide ?? null,
    firstSeen: over.firstSeen ?? T0,
    lastSeen: over.lastSeen ?? T0 + 0.5,
    ifIndex: 3,
    end: over.end ?? 'stop',
  };
}

function chunk(f: LoaderFlow, bToA: boolean, data: string): LoaderPayload {
  return { kind: 'payload', key: f.key, bToA, offset: 0, data: Buffer.from(data) };
}

function records(events: LoaderEvent[]): FlowRecord[] {
  const out: FlowRecord[] = [];
  replay(events, (r) => out.push(r));
  return out;
}

const clientOf = (r: FlowRecord) => `${r.client.address}:${r.client.port}`;

describe('LoaderFlowMapper, rule by rule', () => {
  it('takes a connectionless flow\'s client from its one busy direction, else its first chunk, else the port rule', () => {
    expect(records([flow({ aToB: { packets: 0, bytes: 0, tcpFlags: 0 } })]).map(clientOf)).toEqual(['10.0.0.2:53']);
    const both = flow({ a: ['10.0.0.1', 5000], b: ['10.0.0.2', 6000] });
    expect(records([chunk(both, true, 'hi'), both]).map(clientOf)).toEqual(['10.0.0.2:6000']);
    expect(records([chunk(both, false, 'hi'), both]).map(clientOf)).toEqual(['10.0.0.1:5000']);
    expect(records([flow({ a: ['10.0.0.1', 53], b: ['10.0.0.2', 40000] })]).map(clientOf)).toEqual(['10.0.0.2:40000']);
    expect(records([flow({})]).map((r) => [clientOf(r), r.initiatorEvidence])).toEqual([['10.0.0.1:40000', 'first-packet']]);
  });

  it('takes a TCP flow\'s client from the SYN side and its state from the FIN and RST flags', () => {
    const closed = flow({ protocol: 6, a: ['10.0.0.1', 443], b: ['10.0.0.2', 50000], synSide: 'b', synAckSide: 'a', aToB: { packets: 3, bytes: 200, tcpFlags: 0x13 }, bToA: { packets: 4, bytes: 300, tcpFlags: 0x13 } });
    expect(records([closed]).map((r) => [clientOf(r), r.initiatorEvidence, r.tcpState, r.toServer.packets, r.toClient.bytes])).toEqual([['10.0.0.2:50000', 'syn', 'closed', 4, 200]]);
    const reset = flow({ protocol: 6, synSide: 'a', synAckSide: 'b', aToB: { packets: 2, bytes: 120, tcpFlags: 0x06 }, bToA: { packets: 1, bytes: 60, tcpFlags: 0x12 } });
    expect(records([reset]).map((r) => [clientOf(r), r.tcpState, r.endReason])).toEqual([['10.0.0.1:40000', 'reset', 'rst']]);
    const midStream = flow({ protocol: 6, a: ['10.0.0.1', 8443], b: ['10.0.0.2', 50000], aToB: { packets: 2, bytes: 120, tcpFlags: 0x18 }, bToA: { packets: 1, bytes: 60, tcpFlags: 0x10 } });
    expect(records([midStream]).map((r) => [clientOf(r), r.initiatorEvidence, r.tcpState])).toEqual([['10.0.0.2:50000', 'port-heuristic', 'mid-stream']]);
  });

  it('gives an ICMP and ICMPv6 echo the requester as client and its type, and a one-way message its type and code', () => {
    const echo = flow({ protocol: 1, a: ['10.0.0.1', 0], b: ['10.0.0.2', 8], bToA: { packets: 1, bytes: 84, tcpFlags: 0 }, aToB: { packets: 1, bytes: 84, tcpFlags: 0 } });
    expect(records([echo]).map((r) => [clientOf(r), r.icmp])).toEqual([['10.0.0.2:8', { type: 8, code: 0 }]]);
    const echo6 = flow({ protocol: 58, a: ['fd00::1', 128], b: ['fd00::2', 129] });
    expect(records([{ ...echo6, key: { ...echo6.key, ipVersion: 6 } }]).map((r) => [clientOf(r), r.icmp])).toEqual([['fd00::1:128', { type: 128, code: 0 }]]);
    const unreachable = flow({ protocol: 1, a: ['10.0.0.1', 3], b: ['10.0.0.2', 1], bToA: { packets: 0, bytes: 0, tcpFlags: 0 } });
    expect(records([unreachable]).map((r) => [clientOf(r), r.icmp])).toEqual([['10.0.0.1:3', { type: 3, code: 1 }]]);
  });

  it('passes a live entry\'s times as reported: one first time is one flow, a first time that moves a new entry (the loader keeps it: test/ebpf/engine-mapping)', () => {
    const live = flow({ end: 'live', aToB: { packets: 1, bytes: 60, tcpFlags: 0 } });
    const later = flow({ end: 'stop', aToB: { packets: 2, bytes: 120, tcpFlags: 0 } });
    expect(records([live, later]).map((r) => [r.firstSeen, r.toServer.packets])).toEqual([[T0, 2]]);
    const table = replay([live, flow({ end: 'stop', firstSeen: T0 + 0.000001, aToB: { packets: 2, bytes: 120, tcpFlags: 0 } })], () => {}).table;
    expect(table.observedStats.restarted).toBe(1);
  });

  it('makes two flows of two connections on one tuple: the first reported closed (its entry reused), the second a new entry opening with a SYN', () => {
    const tcp = { protocol: 6, a: ['10.0.0.1', 40000] as [string, number], b: ['10.0.0.2', 7000] as [string, number], synSide: 'a' as const, synAckSide: 'b' as const };
    const first = flow({ ...tcp, end: 'live', aToB: { packets: 3, bytes: 180, tcpFlags: 0x12 }, bToA: { packets: 2, bytes: 120, tcpFlags: 0x12 } });
    const firstClosed = flow({ ...tcp, end: 'closed', aToB: { packets: 5, bytes: 300, tcpFlags: 0x13 }, bToA: { packets: 4, bytes: 240, tcpFlags: 0x13 } });
    const second = flow({ ...tcp, end: 'live', firstSeen: T0 + 1, lastSeen: T0 + 1.1, aToB: { packets: 2, bytes: 120, tcpFlags: 0x12 }, bToA: { packets: 1, bytes: 60, tcpFlags: 0x12 } });
    const secondClosed = flow({ ...tcp, end: 'closed', firstSeen: T0 + 1, lastSeen: T0 + 1.2, aToB: { packets: 4, bytes: 240, tcpFlags: 0x13 }, bToA: { packets: 3, bytes: 180, tcpFlags: 0x13 } });
    const out: FlowRecord[] = [];
    const { table } = replay([first, firstClosed, second, secondClosed], (r) => out.push(r));
    expect(out.map((r) => [r.firstSeen - T0, r.endReason, r.initiatorEvidence, r.toServer.packets, r.toClient.packets])).toEqual([
      [0, 'fin', 'syn', 5, 4],
      [1, 'fin', 'syn', 4, 3],
    ]);
    // The closed report ended the first entry: the second's counters are a new entry's, not a restart.
    expect(table.observedStats.restarted).toBe(0);
  });

  it('keeps the Hello, the kernel counters and the attached interfaces, tells loader errors, and counts an address it cannot read', () => {
    const errors: string[] = [];
    const table = new FlowTable({ onFlow: () => {} }, TABLE);
    const mapper = new LoaderFlowMapper(table, { onLoaderError: (m) => errors.push(m) });
    const hello: LoaderEvent = { kind: 'hello', schemaVersion: 1, attachMode: 'tc', maxFlows: 1024, ringBytes: 1 << 20, payloadLimit: 4096 };
    mapper.handle(hello);
    mapper.handle({ kind: 'interface', ifIndex: 4, name: 'veth1', attached: true, mode: 'tc' });
    mapper.handle({ kind: 'interface', ifIndex: 5, name: 'veth2', attached: true, mode: 'tc' });
    mapper.handle({ kind: 'interface', ifIndex: 4, name: 'veth1', attached: false, mode: 'tc' });
    mapper.handle({ kind: 'error', message: 'cannot attach to wg0: not Ethernet' });
    mapper.handle(flow({ a: ['not an address', 1], end: 'live' }));
    expect(mapper.hello).toBe(hello);
    expect([...mapper.interfaces]).toEqual([[5, 'veth2']]);
    expect(errors).toEqual(['cannot attach to wg0: not Ethernet']);
    expect(mapper.stats).toEqual({ flows: 1, chunks: 0, unmapped: 1, loaderErrors: 1 });
    expect(table.observedStats.observations).toBe(0);
    mapper.handle(hello); // a restarted loader attaches anew
    expect(mapper.interfaces.size).toBe(0);
  });

  it('writes each event\'s own addresses while it parses only those that changed since the last event', () => {
    const ended: FlowRecord[] = [];
    const table = new FlowTable({ onFlow: (r) => ended.push(r) }, TABLE);
    const mapper = new LoaderFlowMapper(table);
    const events = [
      flow({ a: ['10.0.0.1', 5000], b: ['10.0.0.2', 53] }),
      flow({ a: ['10.0.0.1', 5001], b: ['not an address', 53] }),
      flow({ a: ['10.0.0.3', 5002], b: ['10.0.0.2', 53] }),
      // A connectionless flow whose one busy direction is b's: b's address is written as A.
      flow({ a: ['10.0.0.3', 5003], b: ['10.0.0.2', 53], aToB: { packets: 0, bytes: 0, tcpFlags: 0 } }),
      flow({ a: ['10.0.0.1', 5004], b: ['10.0.0.2', 53] }),
    ];
    for (const e of events) mapper.handle(e);
    table.flush();
    expect(ended.map((r) => `${clientOf(r)} > ${r.server.address}:${r.server.port}`)).toEqual([
      '10.0.0.1:5000 > 10.0.0.2:53', '10.0.0.3:5002 > 10.0.0.2:53', '10.0.0.2:53 > 10.0.0.3:5003', '10.0.0.1:5004 > 10.0.0.2:53',
    ]);
    expect(mapper.stats.unmapped).toBe(1);
  });
});
