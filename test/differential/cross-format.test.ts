/**
 * The same traffic, seven files: the nanosecond pcap recorded on veth0, the microsecond pcap tcpdump
 * rewrote from it, pcapng files editcap converted from each (if_tsresol 9 and the default 6), a
 * gzip copy of the microsecond pcap, LINUX_SLL2 recorded on "any" at the same time, and both
 * recordings merged into one two-interface pcapng. flowaudit must find the same flows in each: same endpoints,
 * initiators, packets and IP bytes each way, states and end reasons; times equal within what the
 * file formats (and the JSON's microseconds) can tell apart.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMITTED_CAPTURES, flowauditFlows, FLOAT_SLACK, gate, missingTools, type CliFlow, type CommittedCapture } from '../support/tshark.js';
import { tempDir } from '../support/temp-dir.js';

/** Everything but the times and ids. */
function comparable(f: CliFlow) {
  return {
    protocol: f.protocol,
    ipVersion: f.ipVersion,
    client: f.client,
    server: f.server,
    initiatorEvidence: f.initiatorEvidence,
    toServer: { packets: f.toServer.packets, bytes: f.toServer.bytes },
    toClient: { packets: f.toClient.packets, bytes: f.toClient.bytes },
    tcpState: f.tcpState,
    endReason: f.endReason,
  };
}

/** Flows in start order (the JSON's order; ties broken by endpoints, not by id). */
function flowsOf(path: string): CliFlow[] {
  const flows = flowauditFlows([path]).flows;
  const key = (f: CliFlow) => JSON.stringify(comparable(f));
  return [...flows].sort((a, b) => a.firstSeen - b.firstSeen || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const reference = COMMITTED_CAPTURES.find((c) => c.name === 'traffic.pcap')!;

/** How far a flow's times in `capture` may be from the same flow's in traffic.pcap. */
function timeTolerance(capture: CommittedCapture): number {
  // The SLL2 file is a second recording: its packet socket stamped every packet itself, tens of
  // microseconds from the veth0 recording's stamps (tcpdump on the same interface twice does the
  // same). Its times are checked to the digit against tshark's in streams and pcap-parser tests;
  // here only that they are the same moments, well within a millisecond.
  // The merged file holds both recordings: each time is that of the earlier (or later) copy.
  if (capture.recording !== reference.recording) return 1e-3;
  // Same recording, same resolution: the same integers, so the same doubles.
  if (capture.resolution === reference.resolution) return 0;
  // traffic.pcap truncated the nanosecond recording to microseconds; the JSON rounds a nanosecond
  // time to the nearest microsecond: at most one microsecond apart, plus float error.
  return 1e-6 + FLOAT_SLACK;
}

describe('the same traffic in every format', () => {
  it('the reference file has the recorded traffic in it', () => {
    const flows = flowsOf(reference.path);
    expect(flows.filter((f) => f.protocol === 'tcp').length).toBeGreaterThanOrEqual(10);
    expect(flows.filter((f) => f.protocol === 'udp').length).toBeGreaterThanOrEqual(5);
  });

  it.each(COMMITTED_CAPTURES.filter((c) => c !== reference))('$name gives the flows of traffic.pcap', (capture) => {
    const expected = flowsOf(reference.path);
    const actual = flowsOf(capture.path);
    // The merged file has every packet twice (once per interface): twice the packets and bytes.
    const times = (n: number) => n * capture.copies;
    expect(actual.map(comparable)).toEqual(
      expected.map(comparable).map((f) => ({
        ...f,
        toServer: { packets: times(f.toServer.packets), bytes: times(f.toServer.bytes) },
        toClient: { packets: times(f.toClient.packets), bytes: times(f.toClient.bytes) },
      })),
    );
    const tolerance = timeTolerance(capture);
    actual.forEach((f, i) => {
      expect(Math.abs(f.firstSeen - expected[i].firstSeen), `flow ${i} firstSeen`).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(f.lastSeen - expected[i].lastSeen), `flow ${i} lastSeen`).toBeLessThanOrEqual(tolerance);
    });
  });

  it('traffic-nanos.pcap and traffic-nanos.pcapng agree to the JSON digit', () => {
    const pcap = flowsOf(COMMITTED_CAPTURES.find((c) => c.name === 'traffic-nanos.pcap')!.path);
    const pcapng = flowsOf(COMMITTED_CAPTURES.find((c) => c.name === 'traffic-nanos.pcapng')!.path);
    expect(pcapng.map((f) => [f.firstSeen, f.lastSeen])).toEqual(pcap.map((f) => [f.firstSeen, f.lastSeen]));
  });

  const splitting = gate(missingTools(['editcap']));
  const parts = tempDir('fix-parts').path;

  it.skipIf(splitting.skip)(`traffic.pcap cut into rotated parts of 40 packets, read in order, gives the same flows${splitting.suffix}`, () => {
    splitting.assertAvailable();
    // What tcpdump -C / -G rotation leaves: consecutive files, connections running across them.
    const r = spawnSync('editcap', ['-c', '40', reference.path, join(parts, 'part.pcap')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(parts).sort().map((f) => join(parts, f));
    const whole = flowauditFlows([reference.path]);
    const expected = flowsOf(reference.path);
    expect(files.length).toBe(Math.ceil(whole.captures[0].packets / 40));

    const out = flowauditFlows(files);
    expect(out.captures.map((c) => c.packets)).toEqual(files.map((_, i) => Math.min(40, whole.captures[0].packets - 40 * i)));
    const key = (f: CliFlow) => JSON.stringify(comparable(f));
    const actual = [...out.flows].sort((a, b) => a.firstSeen - b.firstSeen || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    expect(actual.map(comparable)).toEqual(expected.map(comparable));
    expect(actual.map((f) => [f.firstSeen, f.lastSeen])).toEqual(expected.map((f) => [f.firstSeen, f.lastSeen]));
  });
});
