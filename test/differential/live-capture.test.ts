/**
 * Fresh traffic, captured now: two namespaces of our own, HTTP (IPv4 and IPv6), TLS from curl
 * and openssl s_client, a refused connection and a UDP exchange, recorded by tcpdump; then
 * flowaudit's flows on that file against tshark's streams, and against what we know we sent.
 *
 * Needs root, `ip netns`, tcpdump, tshark, curl, openssl and python3. Without them the test skips
 * and says why; with CI=true it fails instead.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_V4, CLIENT_V6, liveCaptureUnavailable, NamespacePair, SERVER_V4, SERVER_V6 } from '../support/netns.js';
import { serveHello, stopCaptures } from '../support/namespace-web.js';
import {
  comparableFlow,
  comparableStream,
  flowauditFlows,
  gate,
  sortShapes,
  tsharkConversations,
  tsharkFrameCount,
  tsharkStreams,
  type CliFlow,
} from '../support/tshark.js';

const unavailable = liveCaptureUnavailable(['curl', 'openssl', 'python3', 'ss']);
const live = gate(unavailable);

const UDP_ECHO = `
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 7))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
`;

const UDP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(2):
    s.sendto(b"live ping %d" % i, (sys.argv[1], 7))
    s.recvfrom(2048)
`;
import { newTempDir } from '../support/temp-dir.js';

describe('live capture between fresh namespaces', () => {
  let pair: NamespacePair | undefined;
  let dir: string | undefined;
  let pcap = '';

  beforeAll(async () => {
    if (unavailable !== null) return;
    dir = newTempDir('fix-live').path;
    pair = await NamespacePair.create(`live${process.pid}`);
    await serveHello(pair, dir, 'hello from a live namespace\n', 'live.vendor.example');
    pair.spawn('server', ['python3', '-c', UDP_ECHO]);
    await pair.waitListening('server', 'udp', 7);

    pcap = join(dir, 'live.pcap');
    const capture = await pair.startTcpdump('client', pcap);
    const curl = ['curl', '--silent', '--noproxy', '*', '--max-time', '5', '--output', '/dev/null'];
    const ok = (what: string, r: { status: number | null; stderr: string }, expected = 0) => {
      if (r.status !== expected) throw new Error(`${what}: exit ${r.status}, expected ${expected}: ${r.stderr}`);
    };
    ok('curl http v4', pair.exec('client', [...curl, `http://${SERVER_V4}:8080/hello.txt`]));
    ok('curl http v4 404', pair.exec('client', [...curl, `http://${SERVER_V4}:8080/nothing-here`]));
    ok('curl http v6', pair.exec('client', [...curl, `http://[${SERVER_V6}]:8080/hello.txt`]));
    ok('curl https', pair.exec('client', [...curl, '--insecure', '--http1.1', `https://${SERVER_V4}:8443/hello.txt`]));
    ok('openssl s_client', pair.exec('client', ['openssl', 's_client', '-quiet', '-connect', `${SERVER_V4}:8443`, '-servername', 'live.vendor.example'], 'GET /hello.txt HTTP/1.0\r\n\r\n'));
    ok('curl refused', pair.exec('client', [...curl, `http://${SERVER_V4}:9/`]), 7);
    ok('udp echo', pair.exec('client', ['python3', '-c', UDP_CLIENT, SERVER_V4]));
    await stopCaptures([capture]);
  }, 60_000);

  afterAll(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(live.skip)(`flowaudit reads as many packets as tshark and finds tshark's TCP and UDP streams${live.suffix}`, () => {
    live.assertAvailable();
    const ours = flowauditFlows([pcap]);
    expect(ours.captures[0].packets).toBe(tsharkFrameCount(pcap));
    for (const protocol of ['tcp', 'udp'] as const) {
      const theirs = tsharkStreams(pcap, protocol);
      const mine = ours.flows.filter((f) => f.protocol === protocol);
      expect(mine, protocol).toHaveLength(theirs.length);
      expect(sortShapes(mine.map(comparableFlow)), protocol).toEqual(sortShapes(theirs.map(comparableStream)));
      expect(mine.length, `conv,${protocol}`).toBe(tsharkConversations(pcap, protocol).length);
    }
  });

  it.skipIf(live.skip)(`the flows are the connections we made${live.suffix}`, () => {
    live.assertAvailable();
    const flows = flowauditFlows([pcap]).flows;
    const tcp = flows.filter((f) => f.protocol === 'tcp');
    const udp = flows.filter((f) => f.protocol === 'udp');
    const toPort = (port: number) => tcp.filter((f) => f.server.port === port);
    const isClientSide = (f: CliFlow) => (f.ipVersion === 4 ? f.client.address === CLIENT_V4 : f.client.address === CLIENT_V6);

    expect(tcp).toHaveLength(6);
    expect(tcp.every((f) => f.initiatorEvidence === 'syn' && isClientSide(f))).toBe(true);
    expect(toPort(8080).map((f) => `${f.server.address} ${f.tcpState}`).sort()).toEqual([
      `${SERVER_V4} closed`,
      `${SERVER_V4} closed`,
      `${SERVER_V6} closed`,
    ]);
    expect(toPort(8443).map((f) => f.tcpState)).toEqual(['closed', 'closed']);
    // Refused: our SYN (IPv4 20 + TCP 40 with options) and the RST-ACK (20 + 20).
    expect(toPort(9)).toHaveLength(1);
    expect(toPort(9)[0]).toMatchObject({ tcpState: 'reset', endReason: 'rst', toServer: { packets: 1, bytes: 60 }, toClient: { packets: 1, bytes: 40 } });
    // Each HTTP exchange carried a request one way and a response the other.
    for (const f of [...toPort(8080), ...toPort(8443)]) {
      expect(f.toServer.packets, `${f.client.port}`).toBeGreaterThanOrEqual(4);
      expect(f.toClient.packets, `${f.client.port}`).toBeGreaterThanOrEqual(3);
    }
    // UDP: two 11-byte datagrams each way, IPv4: 20 + 8 + 11 = 39 bytes each.
    expect(udp).toHaveLength(1);
    expect(udp[0]).toMatchObject({
      client: { address: CLIENT_V4 },
      server: { address: SERVER_V4, port: 7 },
      initiatorEvidence: 'first-packet',
      toServer: { packets: 2, bytes: 78 },
      toClient: { packets: 2, bytes: 78 },
    });
  });
});
