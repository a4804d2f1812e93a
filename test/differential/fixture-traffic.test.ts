/**
 * The committed captures against what make-captures.sh is known to have sent (test/fixtures/
 * README.md, "The traffic"): ground truth that does not depend on tshark agreeing with us.
 */
import { describe, expect, it } from 'vitest';
import { COMMITTED_CAPTURES, flowauditFlows, type CliFlow } from '../support/tshark.js';

const CLIENTS = ['10.203.0.2', 'fd00:203::2'];
const SERVERS = ['10.203.0.1', 'fd00:203::1'];
const REUSED_PORT = 40404;
/** The TCP echo the mid-stream connection talks to. */
const MIDSTREAM_PORT = 7;

// The merged file holds every packet twice: cross-format.test.ts checks it against traffic.pcap.
describe.each(COMMITTED_CAPTURES.filter((c) => c.copies === 1))('$name', (capture) => {
  const flows = () => flowauditFlows([capture.path]).flows;
  const tcp = () => flows().filter((f) => f.protocol === 'tcp');
  const udp = () => flows().filter((f) => f.protocol === 'udp');
  const count = (list: CliFlow[], pred: (f: CliFlow) => boolean) => list.filter(pred).length;

  it('has the eleven TCP connections opened by the client namespace with a SYN, and one picked up mid-stream', () => {
    const list = tcp().filter((f) => f.server.port !== MIDSTREAM_PORT);
    expect(list).toHaveLength(11);
    for (const f of list) {
      expect(CLIENTS, `client of ${JSON.stringify(f.client)}`).toContain(f.client.address);
      expect(SERVERS).toContain(f.server.address);
      expect(f.initiatorEvidence).toBe('syn');
    }
    // HTTP: 3 curl over IPv4, 2 over IPv6, 2 from the reused port; TLS: 2; refused: 2.
    expect(count(list, (f) => f.server.port === 8080 && f.ipVersion === 4)).toBe(5);
    expect(count(list, (f) => f.server.port === 8080 && f.ipVersion === 6)).toBe(2);
    expect(count(list, (f) => f.server.port === 8443)).toBe(2);
    expect(count(list, (f) => f.server.port === 9)).toBe(2);
    expect(tcp()).toHaveLength(12);
  });

  it('takes the well-known port for the server of the connection opened before the capture', () => {
    const mid = tcp().filter((f) => f.server.port === MIDSTREAM_PORT || f.client.port === MIDSTREAM_PORT);
    expect(mid).toHaveLength(1);
    expect(mid[0]).toMatchObject({
      client: { address: '10.203.0.2' },
      server: { address: '10.203.0.1', port: MIDSTREAM_PORT },
      initiatorEvidence: 'port-heuristic',
      tcpState: 'closed',
      endReason: 'fin',
    });
    // Two 12-byte messages and a FIN each way, behind 20 + 32 bytes of IPv4 and TCP (timestamps).
    expect(mid[0].toServer.packets).toBeGreaterThanOrEqual(3);
    expect(mid[0].toClient.packets).toBeGreaterThanOrEqual(3);
    expect(mid[0].toServer.bytes).toBe(52 * mid[0].toServer.packets + 24);
    expect(mid[0].toClient.bytes).toBe(52 * mid[0].toClient.packets + 24);
  });

  it('ends the completed connections with FINs both ways', () => {
    for (const f of tcp().filter((f) => f.server.port !== 9 && f.server.port !== MIDSTREAM_PORT)) {
      expect(f, `${f.client.address}:${f.client.port}`).toMatchObject({ tcpState: 'closed', endReason: 'fin' });
      // At least SYN, ACK, request, FIN, ACK one way; SYN-ACK, response, FIN the other.
      expect(f.toServer.packets).toBeGreaterThanOrEqual(5);
      expect(f.toClient.packets).toBeGreaterThanOrEqual(3);
    }
  });

  it('shows the refused connections as one SYN and one RST-ACK', () => {
    const refused = tcp().filter((f) => f.server.port === 9);
    expect(refused.map((f) => f.ipVersion).sort()).toEqual([4, 6]);
    for (const f of refused) {
      // Linux's SYN carries 20 bytes of options (MSS, SACK, timestamps, window scale); the RST none.
      const ip = f.ipVersion === 4 ? 20 : 40;
      expect(f).toMatchObject({ tcpState: 'reset', endReason: 'rst', toServer: { packets: 1, bytes: ip + 40 }, toClient: { packets: 1, bytes: ip + 20 } });
    }
  });

  it('splits the two connections from the reused client port', () => {
    const reused = tcp()
      .filter((f) => f.client.port === REUSED_PORT)
      .sort((a, b) => a.firstSeen - b.firstSeen);
    expect(reused).toHaveLength(2);
    const [first, second] = reused;
    expect(first.id).not.toBe(second.id);
    for (const f of reused) {
      expect(f).toMatchObject({ client: { address: '10.203.0.2', port: REUSED_PORT }, server: { address: '10.203.0.1', port: 8080 }, initiatorEvidence: 'syn', tcpState: 'closed' });
    }
    // The client slept 1.1 s between them.
    expect(second.firstSeen - first.lastSeen).toBeGreaterThan(1);
    // Each holds one whole exchange: the first fetched /hello.txt (200), the second /missing.txt (404).
    expect(first.toClient.bytes).not.toBe(second.toClient.bytes);
  });

  it('has the seven UDP flows, each begun by the client namespace', () => {
    const list = udp();
    expect(list).toHaveLength(7);
    for (const f of list) {
      expect(CLIENTS).toContain(f.client.address);
      expect(f.initiatorEvidence).toBe('first-packet');
    }
    const summary = list.map((f) => `${f.ipVersion} ${f.server.port} ${f.toServer.packets}/${f.toClient.packets}`).sort();
    expect(summary).toEqual(['4 53 1/1', '4 7 3/3', '4 7 3/3', '4 9 1/0', '6 7 1/1', '6 7 3/3', '6 9 1/0']);
    // The DNS-like answer repeats the question and adds a 16-byte A record.
    const dns = list.find((f) => f.server.port === 53)!;
    expect(dns.toClient.bytes - dns.toServer.bytes).toBe(16);
    // Echo: the same datagrams back. (Three pings over IPv4, and the fragmented echo: 4 7 3/3 twice.)
    for (const f of list.filter((f) => f.server.port === 7)) expect(f.toClient.bytes).toBe(f.toServer.bytes);
  });

  it('counts every fragment of the 3000-byte echoes, with its own IP header', () => {
    // 3008 bytes of UDP over a 1500-byte MTU. IPv4: 1480 + 1480 + 48 of it behind 20-byte headers.
    // IPv6: 1448 + 1448 + 112 behind 40-byte headers and 8-byte fragment headers.
    const fragmented = udp().filter((f) => f.laterFragments > 0);
    expect(fragmented.map((f) => [f.ipVersion, f.toServer.packets, f.toServer.bytes, f.toClient.packets, f.toClient.bytes, f.laterFragments]).sort()).toEqual([
      [4, 3, 1500 + 1500 + 68, 3, 1500 + 1500 + 68, 4],
      [6, 3, 1496 + 1496 + 160, 3, 1496 + 1496 + 160, 4],
    ]);
  });

  it('keeps the ICMP port unreachables out of the UDP flows, in ICMP flows of their own', () => {
    const all = flows();
    const icmp = all.filter((f) => f.protocol === 'icmp');
    expect(icmp.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0)).toBe(1);
    expect(icmp[0]).toMatchObject({ client: { address: '10.203.0.1' }, server: { address: '10.203.0.2' } });
    // ICMPv6: the port unreachable, plus neighbour discovery and the MLD reports.
    const icmpv6 = all.filter((f) => f.protocol === 'icmpv6');
    expect(icmpv6.some((f) => f.client.address === 'fd00:203::1' && f.server.address === 'fd00:203::2')).toBe(true);
  });

  it('finds the MLD reports behind their Hop-by-Hop header, as ICMPv6 to ff02::16', () => {
    const mld = flows().filter((f) => f.server.address === 'ff02::16');
    expect(mld).toHaveLength(1);
    // Sent from the client's link-local address; 40 + 8 (Hop-by-Hop) + 28 (a one-record report).
    expect(mld[0]).toMatchObject({ protocol: 'icmpv6', ipVersion: 6, toClient: { packets: 0 } });
    expect(mld[0].client.address.startsWith('fe80::')).toBe(true);
    expect(mld[0].toServer.packets).toBeGreaterThanOrEqual(2); // join and leave
    expect(mld[0].toServer.bytes).toBe(76 * mld[0].toServer.packets);
  });
});
