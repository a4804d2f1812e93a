/**
 * A capture shaped like a real site's uplink, for the summary's tests: a /24 of workstations and
 * servers (and an IPv6 /64) talking to thousands of external peers spread over many networks, as
 * a capture taken without an inventory shows them. Per connection a SYN, a SYN-ACK and the
 * client's first segment: a TLS ClientHello (with SNI to a few named services), an HTTP request,
 * or a DNS query to the site resolver. Deterministic: the same bytes every run.
 */
import { clientHelloBody, handshake, record, sniExtension } from './tls-records.js';
import { ETHERTYPE, ethernet, ipv4, ipv6, LINKTYPE, TCP_FLAGS, tcp, udp } from '../../src/frame-builder.js';
import { pcapFile, type PcapRecord, type PcapSpec } from './capture-writer.js';

/** One connection (or DNS query) in the capture; `network` is the /24 or /64 of an address, as written. */
export interface PeerConnection {
  readonly client: string;
  readonly clientNetwork: string;
  readonly server: string;
  readonly serverNetwork: string;
  readonly port: number;
  /** The SNI of its ClientHello. */
  readonly name?: string;
}

export interface ManyPeersCapture {
  readonly bytes: Buffer;
  readonly connections: readonly PeerConnection[];
  /** The names the ClientHellos ask for (SNI). */
  readonly names: readonly string[];
}

const SPEC: PcapSpec = { endian: 'le', linkType: LINKTYPE.Ethernet };
const NAMES = ['cdn.example.com', 'api.example.net', 'telemetry.example.org', 'updates.example.com'];
const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1');

interface Address {
  readonly address: string;
  readonly network: string;
}

/** A small linear congruential generator: enough spread, and reproducible. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function manyPeersCapture(externalPeers = 4000): ManyPeersCapture {
  const next = random(14);
  const pick = (n: number): number => Math.floor(next() * n);
  const records: PcapRecord[] = [];
  const connections: PeerConnection[] = [];
  let time = 1_700_000_000;
  const push = (data: Buffer): void => {
    time += 0.001;
    records.push({ seconds: Math.floor(time), fraction: Math.round((time % 1) * 1e6) % 1_000_000, data });
  };

  const connect = (client: Address, server: Address, port: number, payload: Buffer, name?: string): void => {
    const v6 = client.address.includes(':');
    const clientPort = 32768 + (connections.length % 28000);
    const frame = (src: string, dst: string, segment: Buffer): Buffer =>
      v6 ? ethernet(ipv6({ src, dst, protocol: 6, payload: segment }), { etherType: ETHERTYPE.Ipv6 }) : ethernet(ipv4({ src, dst, protocol: 6, payload: segment }), { etherType: ETHERTYPE.Ipv4 });
    push(frame(client.address, server.address, tcp({ srcPort: clientPort, dstPort: port, seq: 1000, flags: TCP_FLAGS.SYN })));
    push(frame(server.address, client.address, tcp({ srcPort: port, dstPort: clientPort, seq: 5000, ack: 1001, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK })));
    push(frame(client.address, server.address, tcp({ srcPort: clientPort, dstPort: port, seq: 1001, ack: 5001, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload })));
    connections.push({ client: client.address, clientNetwork: client.network, server: server.address, serverNetwork: server.network, port, ...(name === undefined ? {} : { name }) });
  };
  const site = (host: number): Address => ({ address: `192.168.1.${host}`, network: '192.168.1.0/24' });

  // Peers cluster in networks as they do on the internet (clouds and CDNs): a few popular /24s
  // hold many of them, a long tail of /24s one or two each.
  const networks = Array.from({ length: 800 }, () => `${20 + pick(180)}.${pick(256)}.${pick(256)}`);
  const externals: Address[] = [];
  for (let i = 0; i < externalPeers; i++) {
    const network = networks[Math.floor(networks.length * next() ** 2)];
    externals.push({ address: `${network}.${1 + pick(254)}`, network: `${network}.0/24` });
  }
  for (let i = 0; i < externalPeers; i++) {
    const client = site(10 + pick(40));
    const roll = next();
    if (roll < 0.1) {
      const name = NAMES[pick(NAMES.length)];
      connect(client, externals[i], 443, record(0x16, handshake(1, clientHelloBody({ extensions: [sniExtension(name)] }))), name);
    } else if (roll < 0.8) connect(client, externals[i], 443, record(0x16, handshake(1, clientHelloBody({ extensions: [] }))));
    else if (roll < 0.95) connect(client, externals[i], 80, HTTP_GET);
    else connect(client, externals[i], 1024 + pick(60000), HTTP_GET);
  }
  // The site's IPv6 hosts, to peers in a few dozen /64s.
  for (let i = 0; i < externalPeers / 8; i++) {
    const network = `2001:db8:${(0x100 + pick(40)).toString(16)}:${(1 + pick(2)).toString(16)}`;
    const client = { address: `2001:db8:5:1::${(1 + pick(30)).toString(16)}`, network: '2001:db8:5:1::/64' };
    connect(client, { address: `${network}::${(1 + pick(0xffff)).toString(16)}`, network: `${network}::/64` }, 443, HTTP_GET);
  }
  // DNS to the site resolver, and inbound connections to the site's web server.
  for (let i = 0; i < 300; i++) {
    const client = site(10 + pick(40));
    push(ethernet(ipv4({ src: client.address, dst: '192.168.1.1', protocol: 17, payload: udp({ srcPort: 40000 + i, dstPort: 53, payload: Buffer.alloc(30, 1) }) }), { etherType: ETHERTYPE.Ipv4 }));
    connections.push({ client: client.address, clientNetwork: client.network, server: '192.168.1.1', serverNetwork: '192.168.1.0/24', port: 53 });
  }
  for (let i = 0; i < 500; i++) connect(externals[pick(externals.length)], site(5), 443, HTTP_GET);
  return { bytes: pcapFile(SPEC, records), connections, names: NAMES };
}
