/**
 * The flow table's way in for flows an in-kernel aggregator observed (addObservation,
 * addPayloadChunk): timeouts, continued records and port reuse replayed against the packet path,
 * and what the kernel side may get wrong (repeated and overlapping chunks, counters that go
 * backwards, fields out of range) counted, never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpProtocol } from '../../src/net/ip-protocol.js';
import { type FlowObservation, type PayloadChunk, SEEN_FIN, SEEN_SYN, SEEN_SYN_ACK } from '../../src/flow/flow-observation.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/flow-table.js';
import { type PacketSpec, PSH_ACK, TableHarness, TCP_ACK, TCP_FIN, TCP_SYN } from './flow-fixtures.js';
import { type Draw, feed, observedEvents, recordingSink } from './observed-replay.js';

const OPTIONS: Partial<FlowTableOptions> = { tcpIdleTimeout: 40, udpIdleTimeout: 20, activeTimeout: 30, payloadLimit: 4096, plainPayloadLimit: 16 };
const T0 = 1_800_000_000;
const CLIENT = Buffer.from('00000000000000000000ffff0a000001', 'hex');
const SERVER = Buffer.from('00000000000000000000ffff0a000002', 'hex');
const KEY = { ipVersion: 4, protocol: IpProtocol.Tcp, addressA: CLIENT, portA: 40000, addressB: SERVER, portB: 443 } as const;

function drawFrom(g: fc.GeneratorValue): Draw {
  return { int: (min, max) => g(fc.integer, { min, max }), bool: () => g(fc.boolean) };
}

/** Records in id order with their payload prefixes as hex (and without the harness's copies of them). */
function comparable(records: readonly FlowRecord[]): object[] {
  const direction = (d: FlowRecord['toServer']) => ({ ...d, payload: d.payload.toString('hex') });
  return [...records].sort((a, b) => a.id - b.id).map(({ kept: _, ...r }: FlowRecord & { kept?: unknown }) => ({ ...r, toServer: direction(r.toServer), toClient: direction(r.toClient) }));
}

/** Traffic whose records end every way a timeout or a new connection ends them, sent in time order. */
function timeoutTraffic(): FlowRecord[] {
  const packets: PacketSpec[] = [];
  const connect = (client: string, server: string, at: number, isn = 1000) =>
    packets.push(
      { from: client, to: server, at, flags: TCP_SYN, seq: isn },
      { from: server, to: client, at: at + 0.001, flags: TCP_SYN | TCP_ACK, seq: 5000 },
      { from: client, to: server, at: at + 0.002, flags: TCP_ACK, seq: isn + 1 },
    );
  // A connection closed by FIN, then a new one on the same 5-tuple while the first lingers.
  connect('10.0.0.1:40000', '10.0.0.2:443', T0);
  packets.push(
    { from: '10.0.0.1:40000', to: '10.0.0.2:443', at: T0 + 0.01, flags: PSH_ACK, seq: 1001, payload: '\x16\x03\x01\x00\x05hello' },
    { from: '10.0.0.2:443', to: '10.0.0.1:40000', at: T0 + 0.02, flags: PSH_ACK, seq: 5001, payload: '\x16\x03\x03\x00\x02hi\x17\x03\x03\x00\x01x' },
    { from: '10.0.0.1:40000', to: '10.0.0.2:443', at: T0 + 0.03, flags: TCP_FIN | TCP_ACK, seq: 1011 },
    { from: '10.0.0.2:443', to: '10.0.0.1:40000', at: T0 + 0.04, flags: TCP_FIN | TCP_ACK, seq: 5015 },
  );
  connect('10.0.0.1:40000', '10.0.0.2:443', T0 + 1, 9000);
  packets.push({ from: '10.0.0.1:40000', to: '10.0.0.2:443', at: T0 + 1.01, flags: PSH_ACK, seq: 9001, payload: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
  // A connection longer than the active timeout: three records, the later ones continued.
  connect('10.0.0.3:41000', '10.0.0.2:8080', T0 + 0.5);
  for (let t = 10; t <= 80; t += 10) packets.push({ from: '10.0.0.3:41000', to: '10.0.0.2:8080', at: T0 + t, flags: PSH_ACK, seq: 1001 + t, payload: 'ping\n' });
  // A new SYN on an open connection: port reuse.
  connect('10.0.0.4:42000', '10.0.0.2:22', T0 + 2);
  connect('10.0.0.4:42000', '10.0.0.2:22', T0 + 3, 7777);
  // Picked up mid-stream, and one whose SYN-ACK is its first packet.
  packets.push(
    { from: '10.0.0.5:50000', to: '10.0.0.2:5432', at: T0 + 4, flags: PSH_ACK, seq: 1, payload: 'Q' },
    { from: '10.0.0.2:9042', to: '10.0.0.6:51000', at: T0 + 5, flags: TCP_SYN | TCP_ACK, seq: 1 },
    // UDP idle past its timeout, then again; ICMP echo and reply.
    { from: '10.0.0.7:53000', to: '10.0.0.2:53', at: T0 + 6, protocol: IpProtocol.Udp, payload: 'query' },
    { from: '10.0.0.2:53', to: '10.0.0.7:53000', at: T0 + 6.1, protocol: IpProtocol.Udp, payload: 'answer' },
    { from: '10.0.0.7:53000', to: '10.0.0.2:53', at: T0 + 40, protocol: IpProtocol.Udp, payload: 'again' },
    { from: '10.0.0.8:8', to: '10.0.0.2:0', at: T0 + 7, protocol: IpProtocol.Icmp, icmpType: 8 },
    { from: '10.0.0.2:0', to: '10.0.0.8:8', at: T0 + 7.1, protocol: IpProtocol.Icmp, icmpType: 0 },
    // Long after: every sweep in both paths has run by now.
    { from: '10.0.0.9:1', to: '10.0.0.2:2', at: T0 + 1000, protocol: IpProtocol.Udp },
  );
  const h = new TableHarness(OPTIONS);
  for (const p of packets.sort((a, b) => a.at - b.at)) h.send(p);
  return h.flush().emitted;
}

function observation(fields: Partial<FlowObservation> = {}): FlowObservation {
  return {
    ...KEY,
    firstSeen: T0,
    lastSeen: T0 + 1,
    aToB: { packets: 3, bytes: 200, tcpFlags: SEEN_SYN },
    bToA: { packets: 2, bytes: 120, tcpFlags: SEEN_SYN_ACK },
    ...fields,
  };
}

function chunk(offset: number, text: string, fields: Partial<PayloadChunk> = {}): PayloadChunk {
  const bytes = Buffer.from(text, 'latin1');
  return { ...KEY, fromB: false, offset, bytes, length: bytes.length, time: T0 + 0.5, ...fields };
}

describe('flows observed in the kernel', () => {
  it('end, continue and reopen as the packet path ends them: timeouts, port reuse, ICMP, UDP', () => {
    const fromPackets = timeoutTraffic();
    const reasons = new Set(fromPackets.map((r) => r.endReason));
    for (const reason of ['fin', 'active-timeout', 'port-reuse', 'idle-timeout', 'end-of-capture']) expect(reasons).toContain(reason);
    expect(fromPackets.filter((r) => r.continued)).toHaveLength(2);
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const sink = recordingSink();
        const table = new FlowTable(sink, OPTIONS);
        feed(table, observedEvents(fromPackets, drawFrom(g)));
        table.flush();
        expect(comparable(sink.records)).toEqual(comparable(fromPackets));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps a stream split into chunks however they repeat and overlap, as one chunk would', () => {
    const stream = fc.uint8Array({ minLength: 1, maxLength: 600 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(stream, fc.gen(), (payload, g) => {
        const whole = recordingSink();
        const one = new FlowTable(whole, { payloadLimit: 512, plainPayloadLimit: 512 });
        one.addPayloadChunk(chunk(0, '', { bytes: payload, length: payload.length }));
        one.flush();
        const split = recordingSink();
        const table = new FlowTable(split, { payloadLimit: 512, plainPayloadLimit: 512 });
        let sent = 0;
        while (sent < payload.length) {
          const end = g(fc.integer, { min: sent + 1, max: payload.length });
          table.addPayloadChunk(chunk(sent, '', { bytes: payload.subarray(sent, end), length: end - sent }));
          // A repeat or an overlap of bytes already sent.
          const from = g(fc.integer, { min: 0, max: end - 1 });
          if (g(fc.boolean)) table.addPayloadChunk(chunk(from, '', { bytes: payload.subarray(from, end), length: end - from }));
          sent = end;
        }
        table.flush();
        expect(split.records[0].toServer.payload.toString('hex')).toBe(whole.records[0].toServer.payload.toString('hex'));
        expect(split.records[0].toServer.payloadStop).toBe(whole.records[0].toServer.payloadStop);
      }),
      { numRuns: 200 },
    );
  });

  it('stops a direction at a gap, and at a chunk its packet was longer than (snaplen)', () => {
    const sink = recordingSink();
    const table = new FlowTable(sink, OPTIONS);
    table.addObservation(observation());
    table.addPayloadChunk(chunk(0, 'GET / HTTP'));
    table.addPayloadChunk(chunk(12, 'later'));
    table.addPayloadChunk(chunk(10, '/1.1'));
    table.addPayloadChunk(chunk(0, 'HTTP/1.1 200', { fromB: true, length: 400 }));
    table.flush();
    expect(sink.records[0].toServer.payload.toString()).toBe('GET / HTTP');
    expect(sink.records[0].toServer.payloadStop).toBe('gap');
    expect(sink.records[0].toClient.payload.toString()).toBe('HTTP/1.1 200');
    expect(sink.records[0].toClient.payloadStop).toBe('snaplen');
  });

  it('counts a restarted entry when counters go backwards, and takes its counters whole', () => {
    const counters = fc.array(fc.record({ packets: fc.integer({ min: 0, max: 50 }), bytes: fc.integer({ min: 0, max: 5000 }) }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(counters, (reads) => {
        const sink = recordingSink();
        const table = new FlowTable(sink, OPTIONS);
        let expected = 0;
        let restarts = 0;
        let last = { packets: 0, bytes: 0 };
        reads.forEach(({ packets, bytes }, i) => {
          const backwards = i > 0 && (packets < last.packets || bytes < last.bytes);
          if (backwards) restarts++;
          expected += i === 0 || backwards ? packets : packets - last.packets;
          last = { packets, bytes };
          table.addObservation(observation({ lastSeen: T0 + i, aToB: { packets, bytes, tcpFlags: SEEN_SYN }, bToA: { packets: 0, bytes: 0, tcpFlags: 0 } }));
        });
        table.flush();
        expect(table.observedStats.restarted).toBe(restarts);
        expect(sink.records.reduce((n, r) => n + r.toServer.packets, 0)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('drops and counts observations and chunks with fields out of range, never throwing', () => {
    const bad = fc.record({
      ipVersion: fc.constantFrom(4, 6, 5, NaN),
      protocol: fc.oneof(fc.integer({ min: -1, max: 300 }), fc.double()),
      addressA: fc.oneof(fc.constant(CLIENT), fc.uint8Array({ maxLength: 20 })),
      portA: fc.integer({ min: -5, max: 70000 }),
      addressB: fc.constant(SERVER),
      portB: fc.constant(443),
      firstSeen: fc.oneof(fc.constant(T0), fc.double()),
      lastSeen: fc.oneof(fc.constant(T0 + 1), fc.double()),
      aToB: fc.record({ packets: fc.oneof(fc.integer({ min: -3, max: 10 }), fc.double()), bytes: fc.integer({ min: -3, max: 999 }), tcpFlags: fc.integer({ min: -1, max: 40 }) }),
      bToA: fc.constant({ packets: 0, bytes: 0, tcpFlags: 0 }),
      synFrom: fc.constantFrom(undefined, 'a', 'c'),
      laterFragments: fc.oneof(fc.constant(undefined), fc.integer({ min: -2, max: 5 })),
    });
    fc.assert(
      fc.property(fc.array(bad, { maxLength: 20 }), fc.array(fc.record({ offset: fc.integer({ min: -10, max: 10 }), length: fc.integer({ min: -1, max: 20 }), time: fc.double() }), { maxLength: 10 }), (observations, chunks) => {
        const sink = recordingSink();
        const table = new FlowTable(sink, OPTIONS);
        for (const o of observations) table.addObservation(o as unknown as FlowObservation);
        for (const c of chunks) table.addPayloadChunk(chunk(c.offset, 'abc', { length: c.length, time: c.time }));
        table.flush();
        const s = table.observedStats;
        expect(s.observations + s.chunks).toBe(observations.length + chunks.length);
        for (const r of sink.records) expect(Number.isFinite(r.firstSeen) && r.firstSeen <= r.lastSeen).toBe(true);
      }),
      { numRuns: 300 },
    );
    const table = new FlowTable(recordingSink(), OPTIONS);
    table.addObservation(observation({ addressA: Buffer.alloc(4) }));
    table.addObservation(observation({ lastSeen: T0 - 1 }));
    table.addObservation(observation({ aToB: { packets: -1, bytes: 0, tcpFlags: 0 } }));
    table.addPayloadChunk(chunk(0, 'abc', { length: 2 }));
    expect(table.observedStats).toMatchObject({ observations: 3, chunks: 1, rejected: 4 });
    expect(table.liveFlows).toBe(0);
  });

  it('takes the initiator from the first counters when payload came first', () => {
    const sink = recordingSink();
    const table = new FlowTable(sink, OPTIONS);
    // The server's bytes first: alone they would make it the first sender.
    table.addPayloadChunk(chunk(0, '\x16\x03\x03\x00\x01x', { fromB: true, time: T0 + 0.2 }));
    table.addObservation(observation({ synFrom: 'a', lastSeen: T0 + 0.3 }));
    table.flush();
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({ client: { port: 40000 }, server: { port: 443 }, initiatorEvidence: 'syn', firstSeen: T0, tcpState: 'established' });
    expect(sink.records[0].toClient.payload.length).toBe(6);
  });

  it('starts a new entry after `ended`: the next counters are taken whole', () => {
    const sink = recordingSink();
    const table = new FlowTable(sink, OPTIONS);
    const closed = { packets: 4, bytes: 300, tcpFlags: SEEN_SYN | SEEN_FIN };
    table.addObservation(observation({ aToB: closed, bToA: { packets: 3, bytes: 200, tcpFlags: SEEN_SYN_ACK | SEEN_FIN }, ended: true }));
    table.addObservation(observation({ firstSeen: T0 + 2, lastSeen: T0 + 2, aToB: { packets: 1, bytes: 60, tcpFlags: SEEN_SYN }, bToA: { packets: 0, bytes: 0, tcpFlags: 0 } }));
    table.flush();
    expect(sink.records.map((r) => [r.endReason, r.toServer.packets, r.firstSeen - T0])).toEqual([
      ['fin', 4, 0],
      ['end-of-capture', 1, 2],
    ]);
    expect(table.observedStats.restarted).toBe(0);
  });

  it('begins no flow for an entry\'s final report that brings nothing after the table ended its flow', () => {
    const sink = recordingSink();
    const table = new FlowTable(sink, OPTIONS);
    const closed = observation({ aToB: { packets: 4, bytes: 300, tcpFlags: SEEN_SYN | SEEN_FIN }, bToA: { packets: 3, bytes: 200, tcpFlags: SEEN_SYN_ACK | SEEN_FIN } });
    table.addObservation(closed);
    // Another flow's report moves the clock past the closed connection's 5 s linger: the table ends it.
    table.addObservation(observation({ portA: 40001, firstSeen: T0 + 7, lastSeen: T0 + 7 }));
    expect(sink.records.map((r) => [r.client.port, r.endReason])).toEqual([[40000, 'fin']]);
    // The kernel's own linger ends the entry after: its final report, the same counters.
    table.addObservation({ ...closed, ended: true });
    table.flush();
    expect(sink.records.map((r) => [r.client.port, r.endReason])).toEqual([[40000, 'fin'], [40001, 'end-of-capture']]);
    expect(table.stats.flowsStarted).toBe(2);
  });

  it('forgets the least recently observed entries past maxFlows, and counts them', () => {
    const table = new FlowTable(recordingSink(), { ...OPTIONS, maxFlows: 4, initialCapacity: 4 });
    for (let port = 1; port <= 10; port++) table.addObservation(observation({ portA: port }));
    expect(table.observedStats.forgotten).toBe(6);
  });

  it('hands live flows whose payload grew to onFlowUpdate, as the agent judges them', () => {
    const updates: FlowRecord[] = [];
    const table = new FlowTable({ onFlow: () => {}, onFlowUpdate: (f) => updates.push(f) }, OPTIONS);
    table.addObservation(observation());
    expect(table.publishUpdates()).toBe(false);
    expect(updates).toHaveLength(0);
    table.addPayloadChunk(chunk(0, '\x16\x03\x01\x00\x02hi'));
    table.publishUpdates();
    expect(updates.map((u) => [u.endReason, u.toServer.payload.length])).toEqual([['update', 7]]);
  });

  it('holds a flow begun by its payload back from onFlowUpdate until its first counters say who opened it', () => {
    const updates: FlowRecord[] = [];
    const table = new FlowTable({ onFlow: () => {}, onFlowUpdate: (f) => updates.push(f) }, OPTIONS);
    // The ring buffer's chunk comes before the sweep's counters.
    table.addPayloadChunk(chunk(0, '\x16\x03\x01\x00\x02hi'));
    expect(table.publishUpdates()).toBe(false);
    expect(updates).toHaveLength(0);
    table.addObservation(observation());
    table.publishUpdates();
    expect(updates.map((u) => [u.initiatorEvidence, u.tcpState, u.toServer.packets, u.toClient.packets, u.toServer.payload.length])).toEqual([['syn', expect.any(String), 3, 2, 7]]);
    expect(updates[0]!.tcpState).not.toBe('mid-stream');
  });
});
