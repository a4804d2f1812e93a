/**
 * The kernel side's parser against tcpdump on the framings it claims: IPv4 fragments (later
 * fragments counted in their flow through the first), IPv6 fragment and destination-options
 * extension headers, and 802.1Q-tagged frames. A pod sends UDP to the node; each UDP flow the
 * loader reports has the packets and bytes the flow table finds in a recording of the pod's eth0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderCounters } from '../../src/engine/loader-events.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { gate } from '../support/tshark.js';
import { ebpfUnavailable, LoaderProcess } from './loader-process.js';
import { addPodVeth, mustRun, PodLab, sleep, startTcpdump } from './pod-lab.js';

const g = gate(ebpfUnavailable());
const NS = 'fa-e-parse';
const DEV = 'fa-e-parseh';

/** From the pod: two 4000-byte datagrams over IPv4 and one over IPv6 (fragmented at MTU 1500),
 * one IPv6 datagram behind a destination-options header, and, written raw (this kernel may have
 * no 8021q module), one UDP datagram in an 802.1Q frame and one in an 802.1ad + 802.1Q frame. */
const SEND = `
import socket, struct, sys
def checksum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s & 0xffff) + (s >> 16)
    return (~((s & 0xffff) + (s >> 16))) & 0xffff
def tagged(tags, payload):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 1, 0, 64, 17, 0, socket.inet_aton("10.237.8.6"), socket.inet_aton("10.237.8.5"))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", 41004, 9, 8 + len(payload), 0)
    link = bytes.fromhex(sys.argv[1].replace(":", "")) + bytes.fromhex(sys.argv[2].replace(":", ""))
    for tpid in tags:
        link += struct.pack("!HH", tpid, 100)
    return link + b"\\x08\\x00" + ip + udp + payload
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind(("eth0", 0))
raw.send(tagged([0x8100], b"tagged"))
raw.send(tagged([0x88a8, 0x8100], b"double"))
big = b"x" * 4000
v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v4.bind(("10.237.8.2", 41001))
v4.sendto(big, ("10.237.8.1", 9)); v4.sendto(big, ("10.237.8.1", 9))
v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
v6.bind(("fd00:237::2", 41002))
v6.sendto(big, ("fd00:237::1", 9))
opts = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
opts.bind(("fd00:237::2", 41003))
opts.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
opts.sendto(b"with options", ("fd00:237::1", 9))
`;
import { newTempDir, type TempDir } from '../support/temp-dir.js';

describe.skipIf(g.skip)(`eBPF parser: fragments, IPv6 extension headers, 802.1Q${g.suffix}`, () => {
  let loader: LoaderProcess;
  let dir: TempDir;
  const reference: FlowRecord[] = [];

  beforeAll(async () => {
    g.assertAvailable();
    PodLab.removeLeftovers();
    dir = newTempDir('ebpf-parsing');
    mustRun('ip', ['netns', 'add', NS]);
    addPodVeth(NS, DEV);
    mustRun('sh', ['-c', `echo 0 > /proc/sys/net/ipv6/conf/${DEV}/disable_ipv6`]);
    mustRun('ip', ['addr', 'add', '10.237.8.1/30', 'dev', DEV]);
    mustRun('ip', ['addr', 'add', 'fd00:237::1/64', 'dev', DEV, 'nodad']);
    mustRun('ip', ['-n', NS, 'addr', 'add', '10.237.8.2/30', 'dev', 'eth0']);
    mustRun('ip', ['-n', NS, 'addr', 'add', 'fd00:237::2/64', 'dev', 'eth0', 'nodad']);
    for (const [ns, dev] of [[null, DEV], [NS, 'eth0'], [NS, 'lo']] as const) {
      mustRun('ip', [...(ns ? ['-n', ns] : []), 'link', 'set', dev, 'up']);
    }
    // The node answers "port unreachable": those ICMP flows are not compared.
    loader = await LoaderProcess.start(['-i', DEV]);
    await loader.waitInterface(DEV, true);
    const capture = await startTcpdump(NS, dir.file('pod.pcap'));
    const mac = (ns: string[], dev: string) => JSON.parse(mustRun('ip', [...ns, '-j', 'link', 'show', 'dev', dev]))[0].address as string;
    mustRun('ip', ['netns', 'exec', NS, 'python3', '-c', SEND, mac([], DEV), mac(['-n', NS], 'eth0')]);
    await sleep(300);
    await capture.stop();
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    await readFlows([dir.file('pod.pcap')], { onFlow: (r) => r.protocol === 17 && reference.push(r) });
  }, 60_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    PodLab.removeLeftovers();
    dir?.remove();
  });

  it('reports each UDP flow with the recording\'s packets and IP-layer bytes, fragments included', () => {
    const ebpf = loader
      .lastFlows()
      .filter((f) => f.key.protocol === 17)
      .map((f) => ({ client: `${f.key.b.address}:${f.key.b.port}`, packets: f.bToA.packets, bytes: f.bToA.bytes, back: f.aToB.packets }))
      .sort((x, y) => x.client.localeCompare(y.client));
    const pcap = reference
      .map((r) => ({ client: `${r.client.address}:${r.client.port}`, packets: r.toServer.packets, bytes: r.toServer.bytes, back: r.toClient.packets }))
      .sort((x, y) => x.client.localeCompare(y.client));
    expect(pcap.map((f) => f.client)).toEqual(['10.237.8.2:41001', '10.237.8.6:41004', 'fd00:237::2:41002', 'fd00:237::2:41003']);
    expect(pcap[0].packets).toBe(6); // two datagrams of three fragments
    expect(ebpf).toEqual(pcap);
  });

  it('counts the later fragments, and none without its first', () => {
    const counters = loader.events.filter((e): e is LoaderCounters => e.kind === 'counters').at(-1)!;
    expect(counters.fragments).toBe(4 + 2); // IPv4: 2 x 2 later fragments; IPv6: 2
    expect(counters).toMatchObject({ fragmentWithoutFirst: 0, truncated: 0, tooManyExtHeaders: 0 });
  });
});
