/**
 * Closed TCP connections in the eBPF engine (docs/ebpf.md, "Closed connections"): three
 * connections on one tuple (pod b1 binds the same source port each time) to a server in pod b2:
 * the first closed by the server (its socket in TIME_WAIT, which takes the second SYN), the second
 * reset by the client (SO_LINGER 0), the third closed by the server again. Each is one flow with
 * its own packets and bytes in the loader's stream (the first two ended `closed` by the kernel
 * when the next SYN reused their entry, the third by the sweep after --closed-timeout), in
 * `watch --engine ebpf`, in `watch --engine pcap` and in the flow table on a tcpdump recording
 * in b1. Then a late RST on the tuple, after the third was ended and removed: counted as late by
 * the kernel and the agent's metric, and no new flow. Last, on another source port, a connection
 * on a closed tuple that idles past the loader's idle timeout (removed) and then sends again:
 * a flow again, not late packets. Root and eBPF; never at the same time as the other test/ebpf
 * files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderCounters, LoaderFlow } from '../../src/engine/loader-events.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { AgentProcess } from '../support/agent-process.js';
import { gate } from '../support/tshark.js';
import { newTempDir, type TempDir } from '../support/temp-dir.js';
import { ebpfUnavailable, LoaderProcess } from './loader-process.js';
import { PODS, PodLab, sleep, waitFor } from './pod-lab.js';
import { POD_INVENTORY } from './traffic.js';

const g = gate(ebpfUnavailable());
const SERVER_PORT = 7300;
const CLIENT_PORT = 40123;
/** The connections, in order: S the server closes first, R the client resets. */
const MODES = 'SRS';

/** Echoes each 100 bytes the client sends; closes first after bytes that start with S, else at the client's FIN or RST. */
const SERVER = `
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(8)
while True:
    c, _ = l.accept()
    while True:
        data = b""
        try:
            while len(data) < 100:
                got = c.recv(100 - len(data))
                if not got:
                    break
                data += got
        except ConnectionResetError:
            break
        if len(data) < 100:
            break
        c.sendall(data)
        if data[:1] == b"S":
            break
    c.close()
`;

/**
 * One connection per mode letter from the same source port, GAP seconds apart: S the server
 * closes first, R the client resets (SO_LINGER 0), I the client waits IDLE seconds after its
 * first 100 bytes, sends 100 more and closes.
 */
const CLIENT = `
import socket, struct, sys, time
host, port, sport, modes, gap, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
def echo(s, mode):
    s.sendall(mode.encode() * 100)
    got = b""
    while len(got) < 100:
        got += s.recv(100)
for mode in modes:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", sport))
    s.connect((host, port))
    echo(s, mode)
    if mode == "S":
        s.recv(1)  # the server's FIN
    elif mode == "R":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        time.sleep(idle)
        echo(s, mode)
    s.close()
    time.sleep(gap)
`;

/** A bare RST|ACK segment from the client's tuple, through a raw socket (the kernel writes the IP header). */
const LATE_RST = `
import socket, struct, sys
src, dst, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
header = struct.pack("!HHIIBBHHH", sport, dport, 12345, 0, 5 << 4, 0x14, 0, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(header))
total = sum(struct.unpack("!%dH" % ((len(pseudo) + len(header)) // 2), pseudo + header))
while total >> 16:
    total = (total & 0xffff) + (total >> 16)
header = header[:16] + struct.pack("!H", ~total & 0xffff) + header[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(header, (dst, 0))
`;

interface Counts {
  toServer: { packets: number; bytes: number };
  toClient: { packets: number; bytes: number };
}

/** The loader's flows of the tuple as client/server counts (b1, the lower address, is `a`). */
function loaderCounts(f: LoaderFlow): Counts {
  return { toServer: { packets: f.aToB.packets, bytes: f.aToB.bytes }, toClient: { packets: f.bToA.packets, bytes: f.bToA.bytes } };
}

function recordCounts(r: { toServer: { packets: number; bytes: number }; toClient: { packets: number; bytes: number } }): Counts {
  return { toServer: { packets: r.toServer.packets, bytes: r.toServer.bytes }, toClient: { packets: r.toClient.packets, bytes: r.toClient.bytes } };
}

interface ViolationRecord {
  id: number;
  client: { port: number };
  server: { port: number };
}

/** The flow ids of the tuple's violation records (one record a flow: live or final). */
function tupleRecordIds(path: string): number[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ViolationRecord)
    .filter((r) => r.client.port === CLIENT_PORT && r.server.port === SERVER_PORT)
    .map((r) => r.id);
}

describe.skipIf(g.skip)(`eBPF engine: closed connections end, a reused tuple is a new flow, late packets are counted${g.suffix}`, () => {
  let lab: PodLab;
  let dir: TempDir;
  let loader: LoaderProcess;
  const agents: AgentProcess[] = [];
  const reference: FlowRecord[] = [];
  let beforeLate: LoaderFlow[] = [];
  let counters: LoaderCounters | undefined;
  let ebpfMetrics = new Map<string, number>();
  let pcapMetrics = new Map<string, number>();

  const tupleFlows = (port = CLIENT_PORT) =>
    loader.events.filter((e): e is LoaderFlow => e.kind === 'flow' && e.key.protocol === 6 && e.key.a.port === port && e.key.b.port === SERVER_PORT);
  let idleCounters: LoaderCounters | undefined;
  const lastCounters = () => loader.events.filter((e): e is LoaderCounters => e.kind === 'counters').at(-1);

  beforeAll(async () => {
    g.assertAvailable();
    dir = newTempDir('ebpf-closed');
    writeFileSync(dir.file('inventory.yaml'), POD_INVENTORY);
    lab = await PodLab.create();
    lab.spawn('b2', ['python3', '-c', SERVER, String(SERVER_PORT)]);
    await lab.waitListening('b2', 'tcp', SERVER_PORT);
    loader = await LoaderProcess.start(['-i', 'fa-e-*', '--closed-timeout', '1', '--idle-timeout', '2', '--interval-ms', '200']);
    const common = (name: string) => ['--rules', 'apigee-hybrid-1.4', '--inventory', dir.file('inventory.yaml'), '--listen', '127.0.0.1:0', '--violation-log', dir.file(`${name}.ndjson`), '--flush-interval', '0.1'];
    const ebpf = await AgentProcess.start(['--engine', 'ebpf', '-i', 'fa-e-*', ...common('ebpf')]);
    agents.push(ebpf);
    const pcap = await AgentProcess.start(['--engine', 'pcap', '-i', PODS.b1.veth, ...common('pcap')]);
    agents.push(pcap);
    await loader.waitInterface(PODS.b1.veth, true);
    await ebpf.waitForMetrics((m) => (m.get('flowaudit_engine_interfaces_attached') ?? 0) >= 6);
    const capture = await lab.tcpdump('b1', dir.file('b1.pcap'));

    const client = lab.exec('b1', ['python3', '-c', CLIENT, PODS.b2.address, String(SERVER_PORT), String(CLIENT_PORT), MODES, '0.3', '0']);
    expect(client.stderr).toBe('');
    // The third connection ends at a sweep 1 s after its last packet (the agent's loader: 5 s).
    await waitFor(() => tupleFlows().filter((f) => f.end === 'closed').length === 3, 'three closed flows', 5000);
    await capture.stop();
    beforeLate = tupleFlows();
    // The libpcap agent stops here: the late packet is the eBPF engine's case (its flow table would take it for a new flow).
    pcapMetrics = await pcap.metrics();
    pcap.signal('SIGTERM');
    expect((await pcap.exited()).code).toBe(0);
    await sleep(6500); // past the eBPF agent's loader's 5 s linger too

    const late = lab.exec('b1', ['python3', '-c', LATE_RST, PODS.b1.address, PODS.b2.address, String(CLIENT_PORT), String(SERVER_PORT)]);
    expect(late.stderr).toBe('');
    await waitFor(() => (lastCounters()?.lateAfterClose ?? 0) > 0, 'the late packet counted');
    await sleep(500); // a sweep more: no flow from it
    counters = lastCounters();
    ebpfMetrics = await ebpf.waitForMetrics((m) => (m.get('flowaudit_engine_kernel_late_packets_total') ?? 0) > 0);
    ebpf.signal('SIGTERM');
    expect((await ebpf.exited()).code).toBe(0);

    // Another port: a closed connection removed (1.6 s later), then one on its tuple idle past
    // the loader's 2 s idle timeout (removed), whose next packets are its own, not late ones.
    const idle = lab.exec('b1', ['python3', '-c', CLIENT, PODS.b2.address, String(SERVER_PORT), String(CLIENT_PORT + 1), 'SI', '1.6', '3']);
    expect(idle.stderr).toBe('');
    await waitFor(() => tupleFlows(CLIENT_PORT + 1).some((f) => f.synSide === null && f.end === 'closed'), 'the idle connection\'s later packets');
    idleCounters = lastCounters();
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    await readFlows([dir.file('b1.pcap')], {
      onFlow(r) {
        if (r.protocol === 6 && r.client.port === CLIENT_PORT) reference.push(r);
      },
    });
  }, 120_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    for (const agent of agents) await agent.kill();
    await lab?.destroy();
    dir?.remove();
  });

  it('ends each connection on the tuple as its own flow, with the packets and bytes the recording has', () => {
    const ended = beforeLate.filter((f) => f.end !== 'live');
    expect(ended.map((f) => f.end)).toEqual(['closed', 'closed', 'closed']);
    expect(ended.map((f) => f.synSide)).toEqual(['a', 'a', 'a']);
    expect(reference.map((r) => r.endReason)).toEqual(['fin', 'rst', 'fin']);
    expect(ended.map(loaderCounts)).toEqual(reference.map(recordCounts));
    // Each connection: the SYN, 100 bytes and the close each way at least.
    for (const c of ended.map(loaderCounts)) expect(c.toServer.packets).toBeGreaterThanOrEqual(3);
  });

  it('reports every connection once: no live report of one after its end, the first two taken over by the next SYN', () => {
    const ends = beforeLate.flatMap((f, i) => (f.end === 'closed' ? [i] : []));
    for (const [n, at] of ends.entries()) {
      const first = beforeLate[at].firstSeen;
      expect(beforeLate.slice(at + 1).some((f) => f.firstSeen === first), `connection ${n + 1} reported after its end`).toBe(false);
    }
    expect(counters).toMatchObject({ reusedTuples: 2, reuseNotSplit: 0, ringReserveFailed: 0, mapFull: 0, evicted: 0 });
  });

  it('counts the late RST after the last connection was removed, and makes no flow of it', () => {
    expect(counters?.lateAfterClose).toBe(1);
    expect(tupleFlows().length).toBe(beforeLate.length);
    expect(counters?.mapEntries).toBe(0);
  });

  it('takes the packets of a later connection on a closed tuple, removed as idle, for a flow of their own, not late ones', () => {
    const ended = tupleFlows(CLIENT_PORT + 1).filter((f) => f.end !== 'live');
    // The rest closes too (FIN each way), and the client waits 1.6 s after: past the 1 s linger.
    expect(ended.map((f) => [f.end, f.synSide])).toEqual([['closed', 'a'], ['idle', 'a'], ['closed', null]]);
    // The rest: 100 bytes, their echo and the close each way.
    expect(ended[2].aToB.packets).toBeGreaterThanOrEqual(2);
    expect(ended[2].bToA.packets).toBeGreaterThanOrEqual(2);
    expect(idleCounters?.lateAfterClose).toBe(1);
  });

  it('begins three flows in watch --engine ebpf and --engine pcap alike, each judged once, and the agent counts the late packet', () => {
    expect(pcapMetrics.get('flowaudit_flows_started_total')).toBe(3);
    expect(ebpfMetrics.get('flowaudit_flows_started_total')).toBe(3);
    for (const engine of ['ebpf', 'pcap']) expect(new Set(tupleRecordIds(dir.file(`${engine}.ndjson`))).size, engine).toBe(3);
    expect(ebpfMetrics.get('flowaudit_engine_kernel_late_packets_total')).toBe(1);
    expect(ebpfMetrics.get('flowaudit_engine_kernel_reused_tuples_total')).toBe(2);
  });
});
