/**
 * Warms the agent's code before its captures open. A fresh Node process runs the per-packet and
 * per-flow code interpreted until V8 has seen it often enough to optimise it; a flood that
 * arrives first paid for that in its first second: turns of the event loop several times as long
 * as warm ones, scrapes of /metrics over 100 ms, and packets dropped under a CPU limit
 * (bench/RESULTS.md). Synthetic traffic through a throwaway pipeline (its own flow table, audit,
 * metrics registry and DNS cache, no violation records) runs the same functions, so
 * V8 optimises them for the real pipeline, which this does not touch. The identities are the real
 * ones: their cache may keep some of the synthetic addresses, whose identity is what it would be.
 */
import { IpProtocol } from '../net/ip-protocol.js';
import { LinkType } from '../decode/link-layer.js';
import { ETHERTYPE, setIpv4Checksum, TCP_FLAGS, u32, writeEthernetHeader, writeIpv4Header, writeTcpHeader, writeUdpHeader } from '../frame-builder.js';
import { header, pointer, question, rr, wireName } from '../synth/dns-messages.js';
import { clientHelloBody, handshake, record, sniExtension } from '../synth/tls-messages.js';
import type { FlowTableOptions } from '../flow/flow-table.js';
import type { AgentPipeline } from './agent-pipeline.js';
import { DeferredTableWork } from './deferred-table-work.js';

/** Room for the warm-up's flows: those it leaves open time out before the table fills. */
export const WARM_UP_TABLE: Partial<FlowTableOptions> = { maxFlows: 4096, initialCapacity: 4096 };

/** Flows of each kind (TLS, plaintext, unanswered SYN, DNS): enough calls for V8 to optimise. */
const FLOWS_PER_KIND = 2048;
/** Flows between two rounds of live judging, as the agent's steps interleave with packets. */
const FLOWS_PER_STEP = 1024;
const SERVER_PORTS = [443, 8443, 9042, 20001, 80, 5432];
/** RFC 2544's benchmarking block, 198.18.0.0/15: clients in the first half, servers in the second. */
const CLIENT_BASE = (198 << 24) | (18 << 16);
const SERVER_BASE = (198 << 24) | (19 << 16);
const RESOLVER = SERVER_BASE | 53;
/** Each client opens one flow of each kind, from ports CLIENT_PORT to CLIENT_PORT + 3. */
const CLIENT_PORT = 40000;
const SERVER_NAME = 'warm-up.flowaudit.invalid';

const { SYN, RST } = TCP_FLAGS;
const PSH_ACK = TCP_FLAGS.PSH | TCP_FLAGS.ACK;
const SYN_ACK = TCP_FLAGS.SYN | TCP_FLAGS.ACK;
const FIN_ACK = TCP_FLAGS.FIN | TCP_FLAGS.ACK;

/** Runs the synthetic traffic through `pipeline` (a throwaway one); returns the milliseconds it took. */
export function warmUp(pipeline: AgentPipeline): number {
  const started = performance.now();
  const frames = new FrameWriter(pipeline);
  const hello = clientHello(SERVER_NAME);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: warm-up\r\n\r\n', 'latin1');
  const { table } = pipeline.flows;
  const work = new DeferredTableWork(table, FLOWS_PER_STEP);
  const finish = (): void => {
    work.publish();
    while (work.next());
  };
  for (let i = 0; i < FLOWS_PER_KIND; i++) {
    const client = CLIENT_BASE | i;
    const server = SERVER_BASE | (i & 63);
    const serverPort = SERVER_PORTS[i % SERVER_PORTS.length];
    // DNS first: the answer names the server the TLS flow then reaches.
    frames.udp(client, CLIENT_PORT, RESOLVER, 53, dnsQuery(i));
    frames.udp(RESOLVER, 53, client, CLIENT_PORT, dnsAnswer(i, server));
    tcpSession(frames, client, CLIENT_PORT + 1, server, serverPort, hello, FIN_ACK);
    tcpSession(frames, client, CLIENT_PORT + 2, server, serverPort, request, RST);
    frames.tcp(client, CLIENT_PORT + 3, server, serverPort, SYN, 1000, Buffer.alloc(0));
    if ((i + 1) % FLOWS_PER_STEP === 0) finish();
  }
  finish();
  // Past every timeout: the last sweep ends and judges what is left.
  table.advanceClock(frames.time + 86400);
  finish();
  return Math.round(performance.now() - started);
}

/** A connection: handshake, one payload from the client, then `close` (FIN both ways, or RST). */
function tcpSession(frames: FrameWriter, client: number, clientPort: number, server: number, serverPort: number, payload: Buffer, close: number): void {
  const none = Buffer.alloc(0);
  frames.tcp(client, clientPort, server, serverPort, SYN, 1000, none);
  frames.tcp(server, serverPort, client, clientPort, SYN_ACK, 5000, none);
  frames.tcp(client, clientPort, server, serverPort, PSH_ACK, 1001, payload);
  frames.tcp(client, clientPort, server, serverPort, close, 1001 + payload.length, none);
  if (close === FIN_ACK) frames.tcp(server, serverPort, client, clientPort, FIN_ACK, 5001, none);
}

/**
 * Ethernet/IPv4 frames with TCP or UDP, written into one buffer (src/frame-builder.ts's in-place
 * writers: the warm-up's 24,576 frames cost no allocation) and delivered to the pipeline 10 ms of
 * capture time apart: the warm-up spans minutes of traffic, so closed connections and DNS flows
 * time out and are swept while it runs (the unanswered SYNs at its end).
 */
class FrameWriter {
  private readonly frame = Buffer.alloc(2048);
  /** Capture time of the next frame, seconds: from now, as live packets are stamped. */
  time = Math.floor(Date.now() / 1000);

  constructor(private readonly pipeline: AgentPipeline) {}

  tcp(src: number, srcPort: number, dst: number, dstPort: number, flags: number, seq: number, payload: Buffer): void {
    const l4 = this.ipv4(src, dst, IpProtocol.Tcp, 20 + payload.length);
    this.deliver(writeTcpHeader(this.frame, l4, srcPort, dstPort, seq, flags & TCP_FLAGS.ACK ? 1 : 0, flags), payload);
  }

  udp(src: number, srcPort: number, dst: number, dstPort: number, payload: Buffer): void {
    const l4 = this.ipv4(src, dst, IpProtocol.Udp, 8 + payload.length);
    this.deliver(writeUdpHeader(this.frame, l4, srcPort, dstPort, payload.length), payload);
  }

  /** Writes the Ethernet and IPv4 headers (don't fragment); returns where the transport header starts. */
  private ipv4(src: number, dst: number, protocol: number, l4Length: number): number {
    const ip = writeEthernetHeader(this.frame, 0, ETHERTYPE.Ipv4);
    const l4 = writeIpv4Header(this.frame, ip, src, dst, protocol, 20 + l4Length, 0, 0x4000);
    setIpv4Checksum(this.frame, ip, l4 - ip);
    return l4;
  }

  private deliver(at: number, payload: Buffer): void {
    payload.copy(this.frame, at);
    const length = at + payload.length;
    this.time += 0.01;
    const seconds = Math.floor(this.time);
    this.pipeline.flows.input.packets.onPacket(this.frame, 0, length, length, LinkType.Ethernet, seconds, Math.round((this.time - seconds) * 1e9));
  }
}

/** A ClientHello record naming `serverName` (SNI), with one TLS 1.3 cipher suite. */
function clientHello(serverName: string): Buffer {
  return record(22, handshake(1, clientHelloBody({ suites: [0x1301], extensions: [sniExtension(serverName)] })), 0x0301);
}

/** A standard query (recursion desired) for the A record of SERVER_NAME. */
function dnsQuery(id: number): Buffer {
  return Buffer.concat([header({ id, flags: 0x0100, qd: 1 }), question(wireName(SERVER_NAME))]);
}

/** The answer to query `id`: SERVER_NAME is `address`, for 300 s. */
function dnsAnswer(id: number, address: number): Buffer {
  return Buffer.concat([header({ id, flags: 0x8180, qd: 1, an: 1 }), question(wireName(SERVER_NAME)), rr(pointer(12), 1, 300, u32(address))]);
}
