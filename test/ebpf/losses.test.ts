/**
 * The loss counters on a real kernel, with maps made small: a burst of 3,000 one-datagram UDP
 * flows into a 1,024-flow map and a 4 KiB ring buffer. Every packet our hook saw is in a flow's
 * final counters or in a counter saying why not; every flow counted sent a payload chunk or
 * counted a failed ring reservation; the sweep after the burst evicts down to 80%.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderCounters, LoaderFlow } from '../../src/engine/loader-events.js';
import { gate } from '../support/tshark.js';
import { ebpfUnavailable, LoaderProcess } from './loader-process.js';
import { addPodVeth, mustRun, PodLab, sleep } from './pod-lab.js';

const g = gate(ebpfUnavailable());
const NS = 'fa-e-loss';
const DEV = 'fa-e-lossh';
const DATAGRAMS = 3000;

/** One 200-byte datagram to each of 3,000 ports of the node. */
const BURST = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(20000, 20000 + ${DATAGRAMS}):
    s.sendto(b"x" * 200, ("10.237.10.1", port))
`;

describe.skipIf(g.skip)(`eBPF loss counters${g.suffix}`, () => {
  let loader: LoaderProcess;
  let counters: LoaderCounters;
  let finals: LoaderFlow[];

  beforeAll(async () => {
    g.assertAvailable();
    PodLab.removeLeftovers();
    mustRun('ip', ['netns', 'add', NS]);
    addPodVeth(NS, DEV);
    mustRun('ip', ['addr', 'add', '10.237.10.1/30', 'dev', DEV]);
    mustRun('ip', ['link', 'set', DEV, 'up']);
    mustRun('ip', ['-n', NS, 'addr', 'add', '10.237.10.2/30', 'dev', 'eth0']);
    mustRun('ip', ['-n', NS, 'link', 'set', 'eth0', 'up']);
    loader = await LoaderProcess.start(['-i', DEV, '--max-flows', '1024', '--ring-bytes', '4096', '--interval-ms', '1000']);
    await loader.waitInterface(DEV, true);
    mustRun('ip', ['netns', 'exec', NS, 'python3', '-c', BURST]);
    await sleep(2500); // two sweeps: the first evicts
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    counters = loader.events.filter((e): e is LoaderCounters => e.kind === 'counters').at(-1)!;
    finals = loader.events.filter((e): e is LoaderFlow => e.kind === 'flow' && e.end !== 'live');
  }, 60_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    PodLab.removeLeftovers();
  });

  it('counts packets of new flows refused by the full map, and every packet seen is accounted for', () => {
    expect(counters.mapFull).toBeGreaterThan(0);
    const inFlows = finals.reduce((n, f) => n + f.aToB.packets + f.bToA.packets, 0);
    expect(inFlows + counters.mapFull + counters.notIp + counters.truncated).toBe(counters.packets);
  });

  it('evicts the least recently active flows past 90% of the map, each reported once with its counters', () => {
    const evicted = finals.filter((f) => f.end === 'evicted');
    expect(counters.evicted).toBe(evicted.length);
    expect(evicted.length).toBeGreaterThanOrEqual(1024 - 819);
    expect(finals.filter((f) => f.end === 'stop').length).toBeLessThanOrEqual(819);
  });

  it('counts payload chunks lost to the full ring buffer: each UDP flow sent its chunk or counted it lost', () => {
    const udp = finals.filter((f) => f.key.protocol === 17 && f.key.a.address === '10.237.10.1');
    const chunks = loader.events.filter((e) => e.kind === 'payload' && e.key.protocol === 17).length;
    expect(counters.ringReserveFailed).toBeGreaterThan(0);
    expect(chunks + counters.ringReserveFailed).toBe(udp.length);
    expect(udp.length + counters.mapFull).toBeGreaterThanOrEqual(DATAGRAMS);
  });
});
