import { describe, expect, it } from 'vitest';
import { FLOW_END_REASONS, INITIATOR_EVIDENCE, PAYLOAD_STOPS, TCP_STATES, type FlowRecord } from '../../src/flow/flow-record.js';
import { FlowRecordBatchReader, FlowRecordBatchWriter } from '../../src/flow/flow-record-batch.js';

interface Tapped {
  protocol: number;
  bytes: string;
  truncated: boolean;
  at: number;
}

/** Packs what `feed` writes, hands every batch to the reader, and returns what came out, in order. */
function roundTrip(feed: (writer: FlowRecordBatchWriter) => void): { out: (FlowRecord | Tapped)[]; batches: number } {
  const out: (FlowRecord | Tapped)[] = [];
  let batches = 0;
  const reader = new FlowRecordBatchReader({
    // Payloads are views of the batch: copied here only to compare them after.
    sink: { onFlow: (f) => out.push({ ...f, toServer: { ...f.toServer, payload: Buffer.from(f.toServer.payload) }, toClient: { ...f.toClient, payload: Buffer.from(f.toClient.payload) } }) },
    tap: { sourcePort: 53, onPayload: (protocol, data, offset, length, truncated, at) => out.push({ protocol, bytes: data.toString('latin1', offset, offset + length), truncated, at }) },
  });
  const writer = new FlowRecordBatchWriter((buffer, length) => {
    batches++;
    reader.read(buffer, length);
  });
  feed(writer);
  writer.flush();
  return { out, batches };
}

function flow(i: number, overrides: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: i,
    ipVersion: 4,
    protocol: 6,
    client: { address: `10.0.${i >> 8 & 255}.${i & 255}`, port: 40000 + (i % 20000) },
    server: { address: '10.2.0.7', port: 20001 },
    initiatorEvidence: INITIATOR_EVIDENCE[i % INITIATOR_EVIDENCE.length],
    firstSeen: 1700000000.123456 + i,
    lastSeen: 1700000009.654321 + i,
    toServer: { packets: 3 + i, bytes: 2 ** 40 + i, payload: Buffer.from(`hello ${i}`), payloadStop: PAYLOAD_STOPS[i % PAYLOAD_STOPS.length] },
    toClient: { packets: 2 ** 32 - 1, bytes: 60, payload: Buffer.alloc(0), payloadStop: PAYLOAD_STOPS[(i + 3) % PAYLOAD_STOPS.length] },
    tcpState: TCP_STATES[i % TCP_STATES.length],
    endReason: FLOW_END_REASONS[i % FLOW_END_REASONS.length],
    continued: i % 2 === 1,
    laterFragments: i % 5,
    ...overrides,
  };
}

describe('flow record batches', () => {
  it('carry every field of every record, and tapped payloads, in the order written', () => {
    const records = [
      flow(1),
      flow(2, { ipVersion: 6, client: { address: '2001:db8::ffff:10.0.0.1', port: 1 }, server: { address: 'fe80::1', port: 65535 } }),
      flow(3, { protocol: 1, icmp: { type: 8, code: 0 }, toServer: { packets: 1, bytes: 84, payload: Buffer.from([0, 255, 128]), payloadStop: 'datagram' } }),
    ];
    const { out } = roundTrip((w) => {
      w.onFlow(records[0]);
      w.tap(53).onPayload(17, Buffer.from('xxanswerxx'), 2, 6, true, 1700000001.5);
      w.onFlow(records[1]);
      w.onFlow(records[2]);
    });
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual(records[0]);
    expect(out[1]).toEqual({ protocol: 17, bytes: 'answer', truncated: true, at: 1700000001.5 });
    expect(out[2]).toEqual(records[1]);
    expect(out[3]).toEqual(records[2]);
    expect((out[3] as FlowRecord).icmp).toEqual({ type: 8, code: 0 });
    expect((out[0] as FlowRecord).icmp).toBeUndefined();
  });

  it('split a long stream into batches without losing or reordering a record', () => {
    const n = 20000;
    const big = Buffer.alloc(4096, 0x16);
    const { out, batches } = roundTrip((w) => {
      for (let i = 0; i < n; i++) w.onFlow(flow(i, { toClient: { packets: 1, bytes: 1, payload: i % 7 === 0 ? big : Buffer.alloc(0), payloadStop: 'limit' } }));
    });
    expect(batches).toBeGreaterThan(10);
    expect(out.map((f) => (f as FlowRecord).id)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect((out[7] as FlowRecord).toClient.payload.equals(big)).toBe(true);
    expect((out[n - 1] as FlowRecord).client.address).toBe(flow(n - 1).client.address);
  });

  it('take a tapped payload larger than a batch in a batch of its own', () => {
    const huge = Buffer.alloc(300 << 10, 0x41);
    const { out, batches } = roundTrip((w) => {
      w.onFlow(flow(1));
      w.tap(53).onPayload(6, huge, 0, huge.length, false, 5);
      w.onFlow(flow(2));
    });
    expect(batches).toBe(3);
    expect(out.map((o) => ('id' in o ? o.id : (o as Tapped).bytes.length))).toEqual([1, huge.length, 2]);
  });

  it('name each address once, and by number after, also when the numbering starts over', () => {
    // Far more distinct addresses than the table holds: it starts over several times mid-stream.
    const n = 150_000;
    const record = (i: number): FlowRecord => flow(i, { client: { address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: 1 }, server: { address: '10.255.0.1', port: 2 } });
    const { out } = roundTrip((w) => {
      for (let i = 0; i < n; i++) w.onFlow(record(i));
      // Addresses seen before a restart are sent again when they come back.
      w.onFlow(record(7));
    });
    expect(out).toHaveLength(n + 1);
    for (const i of [0, 1, 65535, 65536, 70000, n - 1]) expect((out[i] as FlowRecord).client.address).toBe(record(i).client.address);
    expect((out[n] as FlowRecord).client.address).toBe('10.0.0.7');
    expect(out.every((o) => (o as FlowRecord).server.address === '10.255.0.1')).toBe(true);
  });

  it('write nothing for an empty stream', () => {
    expect(roundTrip(() => {}).batches).toBe(0);
  });
});
