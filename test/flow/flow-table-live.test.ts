/** The flow table as the live agent drives it: updates as evidence arrives, a clock that moves without packets. */
import { describe, expect, it } from 'vitest';
import { TLS_CLIENT_HELLO, TLS_SERVER_HELLO, TLS_APP_DATA } from '../audit/audit-fixtures.js';
import { PSH_ACK, TableHarness, TCP_ACK } from './flow-fixtures.js';

const C = '10.0.0.1:40000';
const S = '10.0.0.2:443';

describe('publishUpdates', () => {
  it('reports a live flow once its first payload arrives, and again only when its evidence changes', () => {
    const h = new TableHarness({}, true);
    h.connect(C, S, 1);
    h.table.publishUpdates();
    expect(h.updates).toHaveLength(0); // handshake only: nothing to judge security on yet

    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: TLS_CLIENT_HELLO });
    h.table.publishUpdates();
    expect(h.updates).toHaveLength(1);
    expect(h.updates[0]).toMatchObject({ endReason: 'update', client: { port: 40000 }, server: { port: 443 }, tcpState: 'established' });
    expect(h.updates[0].toServer.payload.length).toBe(TLS_CLIENT_HELLO.length);

    h.table.publishUpdates();
    expect(h.updates).toHaveLength(1); // nothing new

    h.send({ from: S, to: C, at: 1.02, flags: PSH_ACK, seq: 5001, payload: TLS_SERVER_HELLO });
    h.send({ from: S, to: C, at: 1.03, flags: PSH_ACK, seq: 5001 + TLS_SERVER_HELLO.length, payload: TLS_APP_DATA });
    h.table.publishUpdates();
    expect(h.updates).toHaveLength(2);
    expect(h.updates[1].toClient.payloadStop).toBe('tls-data');

    // After the handshake the prefixes stop: more data is counted but publishes nothing.
    const at = 1.04;
    h.send({ from: C, to: S, at, flags: PSH_ACK, seq: 1001 + TLS_CLIENT_HELLO.length, payload: TLS_APP_DATA });
    h.send({ from: C, to: S, at: at + 0.01, flags: PSH_ACK, seq: 1001 + TLS_CLIENT_HELLO.length + TLS_APP_DATA.length, payload: TLS_APP_DATA });
    h.table.publishUpdates();
    expect(h.updates.length).toBeLessThanOrEqual(3);
    h.table.publishUpdates();
    const published = h.updates.length;
    h.send({ from: S, to: C, at: 1.2, flags: TCP_ACK, seq: 9999 });
    h.table.publishUpdates();
    expect(h.updates).toHaveLength(published);
    expect(h.emitted).toHaveLength(0); // updates are not ends
    h.flush();
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0].endReason).toBe('end-of-capture');
  });

  it('does nothing for a sink without onFlowUpdate', () => {
    const h = new TableHarness();
    h.connect(C, S, 1);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: 'GET / HTTP/1.1\r\n' });
    h.table.publishUpdates();
    expect(h.updates).toHaveLength(0);
  });
});

describe('advanceClock', () => {
  it('times flows out when the capture goes quiet', () => {
    const h = new TableHarness({ tcpIdleTimeout: 30, udpIdleTimeout: 10 }, true);
    h.connect(C, S, 100);
    h.send({ from: '10.0.0.1:5353', to: '10.0.0.9:53', at: 100, protocol: 17, payload: 'q' });
    h.table.advanceClock(105);
    expect(h.emitted).toHaveLength(0);
    h.table.advanceClock(120);
    expect(h.emitted.map((f) => f.protocol)).toEqual([17]);
    expect(h.emitted[0].endReason).toBe('idle-timeout');
    h.table.advanceClock(140);
    expect(h.emitted.map((f) => f.protocol)).toEqual([17, 6]);
    expect(h.table.liveFlows).toBe(0);
  });

  it('never moves the clock back', () => {
    const h = new TableHarness({ udpIdleTimeout: 10 });
    h.send({ from: '10.0.0.1:5353', to: '10.0.0.9:53', at: 100, protocol: 17, payload: 'q' });
    h.table.advanceClock(50);
    h.send({ from: '10.0.0.1:5353', to: '10.0.0.9:53', at: 105, protocol: 17, payload: 'q' });
    h.table.advanceClock(112);
    expect(h.emitted).toHaveLength(0);
    // Sweeps run at most every 5 s of clock: the one at 112 found it 7 s idle, the next is due at 117.
    h.table.advanceClock(116);
    expect(h.emitted).toHaveLength(0);
    h.table.advanceClock(117);
    expect(h.emitted).toHaveLength(1);
  });
});

describe('bounded sweeps and evictions (the agent keeps its event loop answering)', () => {
  const udp = (i: number, at: number) => ({ from: `10.0.${i >> 8}.${i & 0xff}:5353`, to: '10.9.0.1:53', at, protocol: 17, payload: 'q' });

  it('a sweep pauses after sweepBatch flows and resumes where it stopped; packets start no second pass meanwhile', () => {
    const h = new TableHarness({ udpIdleTimeout: 10, sweepBatch: 3 });
    for (let i = 0; i < 8; i++) h.send(udp(i, 100));
    h.table.advanceClock(120);
    expect(h.emitted).toHaveLength(3);
    expect(h.table.sweepPending).toBe(true);
    h.send(udp(100, 121)); // a new flow, and a packet past the sweep time: no new pass
    expect(h.emitted).toHaveLength(3);
    expect(h.table.continueSweep()).toBe(true);
    expect(h.emitted).toHaveLength(6);
    expect(h.table.continueSweep()).toBe(false);
    expect(h.emitted).toHaveLength(8);
    expect(h.table.sweepPending).toBe(false);
    expect(h.table.continueSweep()).toBe(false);
    expect(h.table.liveFlows).toBe(1); // the flow of 121 is not idle
    expect(new Set(h.emitted.map((f) => f.client.address)).size).toBe(8);
  });

  it('a sweep or an update pass that finds little to do still pauses after scanBatch slots', () => {
    const h = new TableHarness({ udpIdleTimeout: 10, scanBatch: 4 }, true);
    for (let i = 0; i < 10; i++) h.send(udp(i, 100 + i));
    while (h.table.continueSweep()); // the pass the packet of 105 began: nothing was idle then
    expect(h.emitted).toHaveLength(0);
    // Slots 0-9 hold flows 0-9; at 112 flows 0 and 1 are idle. A call reads four slots.
    h.table.advanceClock(112);
    expect(h.emitted.map((f) => f.client.address)).toEqual(['10.0.0.0', '10.0.0.1']);
    expect(h.table.sweepPending).toBe(true);
    expect(h.table.continueSweep()).toBe(true); // slots 4-7
    expect(h.table.continueSweep()).toBe(false); // slots 8-9: the pass is over
    expect(h.emitted).toHaveLength(2);
    // The eight live flows all have new evidence (their first datagram): published in three calls.
    let calls = 1;
    while (h.table.publishUpdates()) calls++;
    expect(calls).toBe(3);
    expect(h.updates.map((f) => f.client.address)).toEqual(Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 2}`));
  });

  it('evicts about evictFraction of a full table at once, the least recently active first', () => {
    const h = new TableHarness({ maxFlows: 1024, evictFraction: 1 / 64 });
    for (let i = 0; i < 1024; i++) h.send(udp(i, 100 + i * 0.001));
    expect(h.emitted).toHaveLength(0);
    h.send(udp(2000, 102));
    expect(h.table.stats.evicted).toBeGreaterThanOrEqual(16);
    expect(h.table.stats.evicted).toBeLessThanOrEqual(20);
    // The oldest went: flows 0.. were first seen first.
    expect(h.emitted.map((f) => f.client.address).slice(0, 3)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2']);
    expect(h.emitted.every((f) => f.endReason === 'evicted')).toBe(true);
  });
});

describe('publishUpdates in steps', () => {
  it('publishes at most `limit` flows a call and resumes where it stopped', () => {
    const h = new TableHarness({}, true);
    for (let i = 0; i < 7; i++) h.send({ from: `10.0.0.${i + 1}:5353`, to: '10.9.0.1:53', at: 100, protocol: 17, payload: 'q' });
    expect(h.table.publishUpdates(3)).toBe(true);
    expect(h.updates).toHaveLength(3);
    expect(h.table.publishUpdates(3)).toBe(true);
    expect(h.table.publishUpdates(3)).toBe(false);
    expect(new Set(h.updates.map((f) => f.client.address)).size).toBe(7);
    expect(h.table.publishUpdates(3)).toBe(false);
    expect(h.updates).toHaveLength(7);
  });
});
