#!/usr/bin/env node
// Writes the flood capture of the load benchmark: FLOWS packets, each one a flow of its own (a
// distinct 5-tuple), as classic pcap (Ethernet/IPv4, microseconds). Most are TCP SYNs from
// clients in 10.1.0.0/16 to servers in 10.2.0.0/16 on the benchmark matrix's ports; a share
// (--udp-share, default 0.1) are UDP DNS queries from the clients to 10.96.0.10:53, each from its
// own source port. Addresses fit bench/bench-rules.yaml, so every flow is judged by a rule.
// Deterministic: the same arguments write the same bytes.
//
//   node bench/load/generate-flood.mjs OUT [--flows 1000000] [--udp-share 0.1] [--clients 65536]
//
// --clients (1 to 65536) sets how many client addresses the flows come from (10.1.0.0 upwards):
// with fewer, each client uses more source ports.
//
// Frames, DNS queries and the file's records come from the builders the tests and the agent's
// warm-up use (src/frame-builder.ts, src/synth/): run `npm run build` first.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ETHERTYPE, setIpv4Checksum, TCP_FLAGS, writeEthernetHeader, writeIpv4Header, writeTcpHeader, writeUdpHeader } from '../../dist/frame-builder.js';
import { pcapHeader, pcapRecord } from '../../dist/synth/capture-file.js';
import { header, question, wireName } from '../../dist/synth/dns-messages.js';

const args = process.argv.slice(2);
const out = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const flows = opt('--flows', 1_000_000);
const udpShare = opt('--udp-share', 0.1);
const CLIENTS = opt('--clients', 65536);
if (!out || !Number.isInteger(flows) || flows < 1 || !(udpShare >= 0 && udpShare <= 1) || !Number.isInteger(CLIENTS) || CLIENTS < 1 || CLIENTS > 65536
  || 1024 + Math.ceil(flows / CLIENTS) > 40000) {
  console.error('usage: generate-flood.mjs OUT [--flows N] [--udp-share 0..1] [--clients 1..65536] (at most 38,976 flows per client)');
  process.exit(2);
}
const udpEvery = udpShare > 0 ? Math.round(1 / udpShare) : 0;
const PORTS = [443, 8443, 9042, 20001, 8843, 7070];
// Flow i of a protocol comes from client i mod CLIENTS, source port base + i div CLIENTS: all distinct.
const RESOLVER = (10 << 24) | (96 << 16) | 10;
/** The question of every query: api.internal, A, IN. */
const QUESTION = question(wireName('api.internal'));

const chunk = Buffer.alloc(8 << 20);
const fd = openSync(out, 'w');
const PCAP = { endian: 'le', snapLength: 65535, linkType: 1 };
let fill = pcapHeader(PCAP).copy(chunk, 0);
const frame = Buffer.alloc(256);

let seed = 424242;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
let timeUs = 1_700_000_000 * 1e6;

/** Ethernet and IPv4 headers (don't fragment, with its checksum); returns where the transport header starts. */
function ipv4(src, dst, proto, l4Length) {
  const ip = writeEthernetHeader(frame, 0, ETHERTYPE.Ipv4);
  const l4 = writeIpv4Header(frame, ip, src, dst, proto, 20 + l4Length, 0, 0x4000);
  setIpv4Checksum(frame, ip, l4 - ip);
  return l4;
}

function record(frameLength) {
  const sec = Math.floor(timeUs / 1e6);
  fill += pcapRecord(PCAP, { seconds: sec, fraction: timeUs - sec * 1e6, data: frame.subarray(0, frameLength) }).copy(chunk, fill);
  timeUs += 1;
}

let tcpFlows = 0;
let udpFlows = 0;
for (let i = 0; i < flows; i++) {
  if (fill + 256 > chunk.length) {
    writeSync(fd, chunk, 0, fill);
    fill = 0;
  }
  if (udpEvery > 0 && i % udpEvery === udpEvery - 1) {
    const j = udpFlows++;
    const k = j % CLIENTS;
    const client = (10 << 24) | (1 << 16) | k;
    const sport = 40000 + Math.floor(j / CLIENTS);
    // A DNS query: id, RD, one question.
    const query = Buffer.concat([header({ id: j & 0xffff, flags: 0x0100, qd: 1 }), QUESTION]);
    const at = writeUdpHeader(frame, ipv4(client, RESOLVER, 17, 8 + query.length), sport, 53, query.length);
    record(at + query.copy(frame, at));
  } else {
    const j = tcpFlows++;
    const k = j % CLIENTS;
    const client = (10 << 24) | (1 << 16) | k;
    const sport = 1024 + Math.floor(j / CLIENTS);
    const s = Math.floor(rand() * 500);
    const server = (10 << 24) | (2 << 16) | ((s >> 8) << 8) | ((s & 0xff) + 1);
    record(writeTcpHeader(frame, ipv4(client, server, 6, 20), sport, PORTS[j % PORTS.length], Math.floor(rand() * 2 ** 32), 0, TCP_FLAGS.SYN));
  }
}
writeSync(fd, chunk, 0, fill);
closeSync(fd);
console.error(`wrote ${out}: ${flows} flows, ${tcpFlows} TCP SYNs, ${udpFlows} UDP DNS queries, from ${CLIENTS} client addresses`);
