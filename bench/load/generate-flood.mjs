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
import { closeSync, openSync, writeSync } from 'node:fs';

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
const QNAME = Buffer.from('\x03api\x08internal\x00', 'latin1');
/** DNS header, the name, type and class. */
const DNS_QUERY = 12 + QNAME.length + 4;

const chunk = Buffer.alloc(8 << 20);
let fill = 0;
const fd = openSync(out, 'w');
chunk.writeUInt32LE(0xa1b2c3d4, 0); chunk.writeUInt16LE(2, 4); chunk.writeUInt16LE(4, 6);
chunk.writeUInt32LE(0, 8); chunk.writeUInt32LE(0, 12); chunk.writeUInt32LE(65535, 16); chunk.writeUInt32LE(1, 20);
fill = 24;

let seed = 424242;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
let timeUs = 1_700_000_000 * 1e6;

/** Ethernet + IPv4 header at `at`; returns the offset of the transport header. */
function ipv4(at, src, dst, proto, l4Length) {
  chunk.writeUInt32BE(0x02000000, at); chunk.writeUInt16BE(0x0002, at + 4); // dst MAC 02:00:00:00:00:02
  chunk.writeUInt32BE(0x02000000, at + 6); chunk.writeUInt16BE(0x0001, at + 10); // src MAC 02:00:00:00:00:01
  chunk.writeUInt16BE(0x0800, at + 12);
  const ip = at + 14;
  chunk[ip] = 0x45; chunk[ip + 1] = 0; chunk.writeUInt16BE(20 + l4Length, ip + 2);
  chunk.writeUInt16BE(0, ip + 4); chunk.writeUInt16BE(0x4000, ip + 6); chunk[ip + 8] = 64; chunk[ip + 9] = proto;
  chunk.writeUInt16BE(0, ip + 10); chunk.writeUInt32BE(src >>> 0, ip + 12); chunk.writeUInt32BE(dst >>> 0, ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += chunk.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  chunk.writeUInt16BE(~sum & 0xffff, ip + 10);
  return ip + 20;
}

function record(frameLength) {
  const sec = Math.floor(timeUs / 1e6);
  chunk.writeUInt32LE(sec, fill); chunk.writeUInt32LE(timeUs - sec * 1e6, fill + 4);
  chunk.writeUInt32LE(frameLength, fill + 8); chunk.writeUInt32LE(frameLength, fill + 12);
  fill += 16 + frameLength;
  timeUs += 1;
}

let tcpFlows = 0;
let udpFlows = 0;
for (let i = 0; i < flows; i++) {
  if (fill + 256 > chunk.length) {
    writeSync(fd, chunk, 0, fill);
    fill = 0;
  }
  const at = fill + 16;
  if (udpEvery > 0 && i % udpEvery === udpEvery - 1) {
    const j = udpFlows++;
    const k = j % CLIENTS;
    const client = (10 << 24) | (1 << 16) | k;
    const sport = 40000 + Math.floor(j / CLIENTS);
    const l4 = ipv4(at, client, RESOLVER, 17, 8 + DNS_QUERY);
    chunk.writeUInt16BE(sport, l4); chunk.writeUInt16BE(53, l4 + 2); chunk.writeUInt16BE(8 + DNS_QUERY, l4 + 4); chunk.writeUInt16BE(0, l4 + 6);
    // A DNS query: id, RD, one question "api.internal" A IN.
    const q = l4 + 8;
    chunk.writeUInt16BE(j & 0xffff, q); chunk.writeUInt16BE(0x0100, q + 2); chunk.writeUInt16BE(1, q + 4);
    chunk.writeUInt16BE(0, q + 6); chunk.writeUInt32BE(0, q + 8);
    QNAME.copy(chunk, q + 12);
    chunk.writeUInt16BE(1, q + 12 + QNAME.length); chunk.writeUInt16BE(1, q + 14 + QNAME.length);
    record(14 + 20 + 8 + DNS_QUERY);
  } else {
    const j = tcpFlows++;
    const k = j % CLIENTS;
    const client = (10 << 24) | (1 << 16) | k;
    const sport = 1024 + Math.floor(j / CLIENTS);
    const s = Math.floor(rand() * 500);
    const server = (10 << 24) | (2 << 16) | ((s >> 8) << 8) | ((s & 0xff) + 1);
    const l4 = ipv4(at, client, server, 6, 20);
    chunk.writeUInt16BE(sport, l4); chunk.writeUInt16BE(PORTS[j % PORTS.length], l4 + 2);
    chunk.writeUInt32BE(Math.floor(rand() * 2 ** 32), l4 + 4); chunk.writeUInt32BE(0, l4 + 8);
    chunk[l4 + 12] = 0x50; chunk[l4 + 13] = 0x02; chunk.writeUInt16BE(65535, l4 + 14);
    chunk.writeUInt32BE(0, l4 + 16);
    record(14 + 20 + 20);
  }
}
writeSync(fd, chunk, 0, fill);
closeSync(fd);
console.error(`wrote ${out}: ${flows} flows, ${tcpFlows} TCP SYNs, ${udpFlows} UDP DNS queries, from ${CLIENTS} client addresses`);
