import { describe, expect, it } from 'vitest';
import { Fragment } from '../../src/decode/decoded-packet.js';
import { PSH_ACK, TableHarness, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './flow-fixtures.js';

const C = '10.0.0.1:40000';
const S = '10.0.0.2:443';

describe('initiator', () => {
  it('is the sender of the SYN, whichever address is lower', () => {
    const h = new TableHarness();
    h.connect('10.9.9.9:40000', '10.0.0.2:443', 1);
    h.flush();
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ client: { address: '10.9.9.9', port: 40000 }, server: { address: '10.0.0.2', port: 443 }, initiatorEvidence: 'syn', tcpState: 'established' });
    expect(h.emitted[0].toServer.packets).toBe(2);
    expect(h.emitted[0].toClient.packets).toBe(1);
  });

  it('is told by the SYN-ACK when the SYN was not captured', () => {
    const h = new TableHarness();
    h.send({ from: S, to: C, at: 1, flags: TCP_SYN | TCP_ACK });
    h.flush();
    expect(h.emitted[0]).toMatchObject({ client: { port: 40000 }, server: { port: 443 }, initiatorEvidence: 'syn-ack' });
  });

  it('falls back to the well-known port mid-stream, and says so', () => {
    const h = new TableHarness();
    h.send({ from: S, to: C, at: 1, flags: PSH_ACK, payload: 'data' });
    h.send({ from: '10.0.0.3:9042', to: '10.0.0.4:20001', at: 1, flags: TCP_ACK });
    h.flush();
    expect(h.emitted[0]).toMatchObject({ client: { port: 40000 }, server: { port: 443 }, initiatorEvidence: 'port-heuristic', tcpState: 'mid-stream' });
    // Neither port well-known: the lower one is taken as the server's.
    expect(h.emitted[1]).toMatchObject({ client: { port: 20001 }, server: { port: 9042 }, initiatorEvidence: 'port-heuristic' });
  });

  it('is upgraded from the port guess by a later SYN-ACK', () => {
    const h = new TableHarness();
    h.send({ from: '10.0.0.3:9042', to: '10.0.0.4:20001', at: 1, flags: TCP_ACK });
    h.send({ from: '10.0.0.4:20001', to: '10.0.0.3:9042', at: 1.1, flags: TCP_SYN | TCP_ACK });
    h.flush();
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ client: { port: 9042 }, server: { port: 20001 }, initiatorEvidence: 'syn-ack' });
  });

  it('is the first sender for UDP', () => {
    const h = new TableHarness();
    h.send({ from: '10.0.0.1:53', to: '10.0.0.2:5353', at: 1, protocol: 17, payload: 'q' });
    h.flush();
    expect(h.emitted[0]).toMatchObject({ client: { port: 53 }, server: { port: 5353 }, initiatorEvidence: 'first-packet', tcpState: 'none' });
  });
});

describe('connection boundaries', () => {
  it('a SYN on a closed 5-tuple starts a new flow: ephemeral port reuse never merges sessions', () => {
    const h = new TableHarness();
    h.connect(C, S, 1, 1000);
    h.send({ from: C, to: S, at: 1.1, flags: TCP_FIN | TCP_ACK, seq: 1001 });
    h.send({ from: S, to: C, at: 1.2, flags: TCP_FIN | TCP_ACK, seq: 5001 });
    h.connect(C, S, 2, 9000);
    h.flush();
    expect(h.emitted.map((f) => [f.endReason, f.toServer.packets])).toEqual([['fin', 3], ['end-of-capture', 2]]);
    expect(h.table.stats.portReuses).toBe(0);
  });

  it('a SYN with a new initial sequence number on an open 5-tuple is a reuse; a retransmitted SYN is not', () => {
    const h = new TableHarness();
    h.send({ from: C, to: S, at: 1, flags: TCP_SYN, seq: 1000 });
    h.send({ from: C, to: S, at: 2, flags: TCP_SYN, seq: 1000 });
    h.send({ from: C, to: S, at: 3, flags: TCP_SYN, seq: 7777 });
    h.flush();
    expect(h.emitted.map((f) => [f.endReason, f.toServer.packets])).toEqual([['port-reuse', 2], ['end-of-capture', 1]]);
    expect(h.table.stats.portReuses).toBe(1);
  });

  it('RST closes; closed flows linger for stray packets, then end', () => {
    const h = new TableHarness({ closedTimeout: 5 });
    h.connect(C, S, 1);
    h.send({ from: S, to: C, at: 1.5, flags: TCP_RST });
    h.send({ from: C, to: S, at: 2, flags: TCP_ACK });
    h.send({ from: '10.0.0.8:1', to: '10.0.0.9:2', at: 20, flags: TCP_ACK });
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ endReason: 'rst', tcpState: 'reset' });
    expect(h.emitted[0].toServer.packets).toBe(3);
  });

  it('idle flows time out on capture time; a packet after the timeout starts a new flow', () => {
    const h = new TableHarness({ tcpIdleTimeout: 30, udpIdleTimeout: 10 });
    h.connect(C, S, 100);
    h.send({ from: '10.0.0.1:5000', to: '10.0.0.2:53', at: 100, protocol: 17 });
    h.send({ from: C, to: S, at: 135, flags: TCP_ACK, seq: 1001 });
    h.flush();
    expect(h.emitted.map((f) => [f.protocol, f.endReason, f.toServer.packets + f.toClient.packets])).toEqual([
      [6, 'idle-timeout', 3],
      [17, 'idle-timeout', 1],
      [6, 'end-of-capture', 1],
    ]);
  });

  it('long flows are reported every active timeout and continued', () => {
    const h = new TableHarness({ activeTimeout: 60 });
    h.connect(C, S, 0);
    for (let t = 10; t <= 150; t += 10) h.send({ from: C, to: S, at: t, flags: TCP_ACK, seq: 1001 });
    h.flush();
    expect(h.emitted.map((f) => [f.endReason, f.continued])).toEqual([['active-timeout', false], ['active-timeout', true], ['end-of-capture', true]]);
    // Each record spans from its first packet (the one past the timeout, for a continuation) to its last.
    expect(h.emitted.map((f) => [f.firstSeen, f.lastSeen])).toEqual([[0, 60], [70, 130], [140, 150]]);
    expect(h.emitted.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0)).toBe(18);
    expect(h.table.stats.activeTimeouts).toBe(2);
  });
});

describe('bounds', () => {
  it('evicts the least recently active flows beyond maxFlows, emitting and counting them', () => {
    const h = new TableHarness({ maxFlows: 64 });
    for (let i = 0; i < 200; i++) h.send({ from: `10.0.1.${i}:40000`, to: S, at: 1 + i * 0.001, flags: TCP_SYN });
    expect(h.table.liveFlows).toBeLessThanOrEqual(64);
    expect(h.table.stats.evicted).toBe(h.emitted.length);
    expect(h.emitted.every((f) => f.endReason === 'evicted')).toBe(true);
    // The oldest went first.
    expect(h.emitted[0].client.address).toBe('10.0.1.0');
    h.flush();
    expect(h.emitted).toHaveLength(200);
  });
});

describe('payload prefixes', () => {
  const HELLO = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08]), Buffer.from('12345678')]);

  it('keeps each direction in sequence order across segments; a retransmission adds nothing', () => {
    const h = new TableHarness({ payloadLimit: 4096 });
    h.connect(C, S, 1, 1000);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: HELLO.subarray(0, 6) });
    h.send({ from: C, to: S, at: 1.02, flags: PSH_ACK, seq: 1001, payload: HELLO.subarray(0, 6) });
    h.send({ from: C, to: S, at: 1.03, flags: PSH_ACK, seq: 1007, payload: HELLO.subarray(6) });
    h.flush();
    expect(h.emitted[0].toServer.payload.toString('latin1')).toBe(HELLO.toString('latin1'));
  });

  it('stops at a missing segment and says so', () => {
    const h = new TableHarness({ payloadLimit: 4096 });
    h.connect(C, S, 1, 1000);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: HELLO.subarray(0, 6) });
    h.send({ from: C, to: S, at: 1.03, flags: PSH_ACK, seq: 1010, payload: 'late' });
    h.flush();
    expect(h.emitted[0].toServer.payload.toString('latin1')).toBe(HELLO.subarray(0, 6).toString('latin1'));
    expect(h.emitted[0].toServer.payloadStop).toBe('gap');
  });

  it('keeps the plain limit of a stream that does not open like TLS, and the full limit of one that does', () => {
    const h = new TableHarness({ payloadLimit: 100, plainPayloadLimit: 64 });
    h.connect(C, S, 1, 1000);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: 'G'.repeat(300) });
    h.connect('10.0.0.1:40001', S, 2, 1000);
    h.send({ from: '10.0.0.1:40001', to: S, at: 2.01, flags: PSH_ACK, seq: 1001, payload: Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]), Buffer.alloc(256, 1)]) });
    h.flush();
    expect(h.emitted.map((f) => [f.toServer.payload.length, f.toServer.payloadStop])).toEqual([[64, 'limit'], [100, 'limit']]);
  });

  it('moves a TLS handshake that outgrows its first buffer to a bigger one, bytes intact', () => {
    const h = new TableHarness({ payloadLimit: 4096, plainPayloadLimit: 64 });
    h.connect(C, S, 1, 1000);
    const flight = Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x02, 0xbc]), Buffer.alloc(700, 7)]);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: flight.subarray(0, 300) });
    h.send({ from: C, to: S, at: 1.02, flags: PSH_ACK, seq: 1301, payload: flight.subarray(300) });
    h.flush();
    expect(h.emitted[0].toServer.payload.toString('latin1')).toBe(flight.toString('latin1'));
    expect(h.emitted[0].toServer.payloadStop).toBe('end');
  });

  it('stops a TLS stream once its handshake is over (an application-data record begins)', () => {
    const h = new TableHarness({ payloadLimit: 4096 });
    h.connect(C, S, 1, 1000);
    const appData = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x03, 9, 9, 9]);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: Buffer.concat([HELLO, appData]) });
    h.send({ from: C, to: S, at: 1.02, flags: PSH_ACK, seq: 1001 + HELLO.length + appData.length, payload: 'more' });
    h.flush();
    expect(h.emitted[0].toServer.payloadStop).toBe('tls-data');
    // The handshake and the header of the record that ended it; application data is never copied.
    expect(h.emitted[0].toServer.payload.toString('latin1')).toBe(Buffer.concat([HELLO, appData.subarray(0, 5)]).toString('latin1'));
  });

  it.each([
    ['begins in a later segment', 0],
    ['has its header split across segments', 2],
  ])('stops a TLS stream at an application-data record that %s, keeping only its header', (_case, headerBytesInFirst) => {
    const h = new TableHarness({ payloadLimit: 4096 });
    h.connect(C, S, 1, 1000);
    const appData = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x40]), Buffer.alloc(64, 9)]);
    // The hello (and the first bytes of the record's header), then the rest of the record.
    const first = Buffer.concat([HELLO, appData.subarray(0, headerBytesInFirst)]);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: first });
    h.send({ from: C, to: S, at: 1.02, flags: PSH_ACK, seq: 1001 + first.length, payload: appData.subarray(headerBytesInFirst) });
    h.flush();
    expect(h.emitted[0].toServer.payloadStop).toBe('tls-data');
    expect(h.emitted[0].toServer.payload.toString('latin1')).toBe(Buffer.concat([HELLO, appData.subarray(0, 5)]).toString('latin1'));
  });

  it('says when snaplen cut the payload, and keeps the first datagram of a UDP flow', () => {
    const h = new TableHarness({ payloadLimit: 4096 });
    h.connect(C, S, 1, 1000);
    h.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: HELLO, wireLength: 1400 });
    h.send({ from: '10.0.0.1:5000', to: '10.0.0.2:53', at: 2, protocol: 17, payload: 'first' });
    h.send({ from: '10.0.0.1:5000', to: '10.0.0.2:53', at: 3, protocol: 17, payload: 'second' });
    h.flush();
    expect(h.emitted.map((f) => [f.toServer.payload.toString('latin1'), f.toServer.payloadStop])).toEqual([[HELLO.toString('latin1'), 'snaplen'], ['first', 'datagram']]);
  });

  it('keeps nothing with a zero limit, and bounds the memory of all prefixes together', () => {
    const none = new TableHarness({ payloadLimit: 0 });
    none.connect(C, S, 1);
    none.send({ from: C, to: S, at: 1.01, flags: PSH_ACK, seq: 1001, payload: HELLO });
    none.flush();
    expect(none.emitted[0].toServer.payload.toString('latin1')).toBe('');
    // A budget of four 256-byte buffers and no more: later flows keep none, counted.
    const tight = new TableHarness({ payloadLimit: 256, payloadBudget: 1024 });
    for (let i = 0; i < 8; i++) tight.send({ from: `10.0.2.${i}:5000`, to: '10.0.0.2:53', at: 1, protocol: 17, payload: 'query' });
    tight.flush();
    expect(tight.emitted.map((f) => f.toServer.payloadStop)).toEqual(['datagram', 'datagram', 'datagram', 'datagram', 'budget', 'budget', 'budget', 'budget']);
    expect(tight.table.stats.payloadBudgetExhausted).toBe(4);
  });
});

describe('fragments', () => {
  it('later fragments count toward their flow', () => {
    const h = new TableHarness();
    h.send({ from: '10.0.0.1:5000', to: '10.0.0.2:53', at: 1, protocol: 17, payload: 'x', fragment: Fragment.First });
    h.send({ from: '10.0.0.1:5000', to: '10.0.0.2:53', at: 1, protocol: 17, fragment: Fragment.Later });
    h.flush();
    expect(h.emitted[0]).toMatchObject({ laterFragments: 1, toServer: { packets: 2 } });
  });
});

describe('ICMP', () => {
  it('keeps the type and code of the first message, the sender being the client', () => {
    const h = new TableHarness();
    h.send({ from: '10.0.0.1:0', to: '10.0.0.2:0', at: 1, protocol: 1, icmpType: 8, icmpCode: 0 });
    h.send({ from: '10.0.0.2:0', to: '10.0.0.1:0', at: 1.001, protocol: 1, icmpType: 0, icmpCode: 0 });
    h.flush();
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ protocol: 1, client: { address: '10.0.0.1' }, icmp: { type: 8, code: 0 } });
    expect(h.emitted[0].toClient.packets).toBe(1);
  });
});

describe('IPv6', () => {
  it('keys and prints IPv6 endpoints', () => {
    const h = new TableHarness();
    h.connect('[fd00::2]:40000', '[fd00::1]:443', 1);
    h.flush();
    expect(h.emitted[0]).toMatchObject({ ipVersion: 6, client: { address: 'fd00::2' }, server: { address: 'fd00::1' } });
  });
});
