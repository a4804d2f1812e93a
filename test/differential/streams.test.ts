/**
 * flowaudit's TCP and UDP flows against tshark's tcp.stream / udp.stream on the committed
 * captures: the same number of flows, the same client and server (the SYN's sender is the
 * client), the same packets and IP-layer bytes each way, the same first and last packet times.
 * And the flow counts against tshark's conversation tables.
 */
import { describe, expect, it } from 'vitest';
import {
  COMMITTED_CAPTURES,
  endpointKey,
  FLOAT_SLACK,
  flowauditFlows,
  comparableFlow,
  comparableStream,
  gate,
  missingTools,
  sortShapes,
  tsharkConversations,
  ipBytes,
  tsharkFrames,
  tsharkStreams,
  type CliFlow,
  type Conversation,
  type Endpoint,
  type Stream,
} from '../support/tshark.js';

const tools = gate(missingTools(['tshark']));

/** Pairs each tshark stream with the flow of the same shape that starts at the same time. */
function pairUp(streams: Stream[], flows: CliFlow[], tolerance: number): [Stream, CliFlow][] {
  const left = [...flows];
  return streams.map((s) => {
    const shape = JSON.stringify(comparableStream(s));
    const i = left.findIndex((f) => JSON.stringify(comparableFlow(f)) === shape && Math.abs(f.firstSeen - s.firstSeen) <= tolerance);
    if (i < 0) throw new Error(`no flow matches tshark ${s.protocol} stream ${s.stream}: ${shape} at ${s.firstSeen}`);
    return [s, left.splice(i, 1)[0]];
  });
}

/** A conversation or flow as "low endpoint:frames from it|high endpoint:frames from it". */
function conversationKey(x: string, framesFromX: number, y: string, framesFromY: number): string {
  return x < y ? `${x}:${framesFromX}|${y}:${framesFromY}` : `${y}:${framesFromY}|${x}:${framesFromX}`;
}

describe.each(COMMITTED_CAPTURES)('$name', (capture) => {
  for (const protocol of ['tcp', 'udp'] as const) {
    it.skipIf(tools.skip)(`${protocol} flows equal tshark's ${protocol}.stream: endpoints, initiator, packets and bytes each way${tools.suffix}`, () => {
      tools.assertAvailable();
      const theirs = tsharkStreams(capture.path, protocol);
      const ours = flowauditFlows([capture.path]).flows.filter((f) => f.protocol === protocol);
      expect(theirs.length).toBeGreaterThanOrEqual(5);
      // One TCP connection was opened before the recording began; all others show their SYN.
      if (protocol === 'tcp') expect(theirs.filter((s) => s.clientBy !== 'syn')).toHaveLength(1);
      expect(ours).toHaveLength(theirs.length);
      expect(sortShapes(ours.map(comparableFlow))).toEqual(sortShapes(theirs.map(comparableStream)));
    });

    it.skipIf(tools.skip)(`${protocol} flows start and end at tshark's first and last frame of the stream${tools.suffix}`, () => {
      tools.assertAvailable();
      const theirs = tsharkStreams(capture.path, protocol);
      const ours = flowauditFlows([capture.path]).flows.filter((f) => f.protocol === protocol);
      // The JSON rounds times to the microsecond: exact for a microsecond file, within half a
      // microsecond for a nanosecond one; plus float error either way.
      const tolerance = (capture.resolution === 1e-9 ? 0.5e-6 : 0) + FLOAT_SLACK;
      for (const [s, f] of pairUp(theirs, ours, tolerance)) {
        expect(Math.abs(f.firstSeen - s.firstSeen), `stream ${s.stream} first`).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(f.lastSeen - s.lastSeen), `stream ${s.stream} last`).toBeLessThanOrEqual(tolerance);
      }
    });

    // tshark 4.0 keys its TCP and UDP conversation tables by tcp.stream / udp.stream, so a client
    // port reused for a second connection is a second row (traffic.pcap has 10.203.0.2:40404 <->
    // 10.203.0.1:8080 twice), as it is a second flow for us: the counts compare one to one. The
    // tables leave out the ICMP errors that quote a UDP header, as flowaudit does. They count a
    // fragmented datagram once (the frame that completes it), where flowaudit counts each fragment
    // as a packet: for a flow with fragments only the total is compared, less its later fragments.
    it.skipIf(tools.skip)(`${protocol} flows equal tshark's conv,${protocol} rows${tools.suffix}`, () => {
      tools.assertAvailable();
      const convs: Conversation[] = tsharkConversations(capture.path, protocol);
      const ours = flowauditFlows([capture.path]).flows.filter((f) => f.protocol === protocol);
      expect(convs.length).toBe(tsharkStreams(capture.path, protocol).length);
      expect(ours).toHaveLength(convs.length);

      const pair = (x: Endpoint, y: Endpoint) => [endpointKey(x), endpointKey(y)].sort().join(' <-> ');
      expect(ours.map((f) => pair(f.client, f.server)).sort()).toEqual(convs.map((c) => pair(c.a, c.b)).sort());

      const whole = ours.filter((f) => f.laterFragments === 0);
      const theirKeys = convs.map((c) => conversationKey(endpointKey(c.a), c.framesAtoB, endpointKey(c.b), c.framesBtoA));
      for (const f of whole) {
        const key = conversationKey(endpointKey(f.client), f.toServer.packets, endpointKey(f.server), f.toClient.packets);
        expect(theirKeys, `flow ${f.id}`).toContain(key);
        theirKeys.splice(theirKeys.indexOf(key), 1);
      }
      const fragmented = ours.filter((f) => f.laterFragments > 0);
      const theirRest = convs.filter((c) => theirKeys.includes(conversationKey(endpointKey(c.a), c.framesAtoB, endpointKey(c.b), c.framesBtoA)));
      // In the merged file every fragment comes twice, but tshark completes each datagram once:
      // the second copy's fragments never make a UDP frame there.
      expect(fragmented.reduce((n, f) => n + f.toServer.packets + f.toClient.packets - f.laterFragments, 0)).toBe(
        capture.copies * theirRest.reduce((n, c) => n + c.framesAtoB + c.framesBtoA, 0),
      );
    });
  }

  it.skipIf(tools.skip)(`ICMP and ICMPv6 flows hold exactly tshark's ICMP packets and bytes${tools.suffix}`, () => {
    tools.assertAvailable();
    const ours = flowauditFlows([capture.path]).flows;
    const frames = tsharkFrames(capture.path);
    for (const [protocol, field] of [
      ['icmp', 'icmp.type'],
      ['icmpv6', 'icmpv6.type'],
    ] as const) {
      const rows = frames.filter((r) => r[field] !== '');
      const bytes = rows.reduce((n, r) => n + ipBytes(r)!, 0);
      const flows = ours.filter((f) => f.protocol === protocol);
      expect(rows.length, protocol).toBeGreaterThan(0);
      expect(flows.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0), `${protocol} packets`).toBe(rows.length);
      expect(flows.reduce((n, f) => n + f.toServer.bytes + f.toClient.bytes, 0), `${protocol} bytes`).toBe(bytes);
    }
  });
});
