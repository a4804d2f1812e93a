#!/usr/bin/env node
// Writes a synthetic benchmark capture: TCP connections with real handshakes (SYN, SYN-ACK, ACK),
// request/response data segments and FIN teardown, plus some DNS over UDP, interleaved so that
// thousands of flows are live at once. Deterministic (seeded), Ethernet/IPv4.
//
//   node bench/generate-capture.mjs OUT --packets 2000000 [--format pcap|pcapng] [--snaplen 256] [--tls]
//
// Packets are kept to --snaplen bytes (default 256, as `tcpdump -s 256` does for flow monitoring);
// their original length is recorded, so flows count real sizes. --snaplen 0 keeps whole packets.
// --tls makes every TCP connection a TLS 1.3 one, as on the wire: the client's first segment is a
// ClientHello (SNI, ALPN, supported_versions, an X25519 key share), the server's first opens with a
// ServerHello selecting TLS 1.3 and a ChangeCipherSpec, and every other data segment is
// application-data records. (Until 2026-11-23 the hellos were followed by plaintext filler, which
// no TLS peer sends: every flow then ended in the parser's malformed-record path.)
//
// Frames, TLS extensions and the file's blocks come from the builders the tests and the agent's
// warm-up use (src/frame-builder.ts, src/synth/): run `npm run build` first.
import { openSync, writeSync, closeSync } from 'node:fs';
import { writeEthernetHeader, writeIpv4Header, writeTcpHeader, writeUdpHeader } from '../dist/frame-builder.js';
import { epb, idb, pcapHeader, pcapRecord, shb } from '../dist/synth/capture-file.js';
import { alpnExtension, clientVersionsExtension, extension, sniExtension } from '../dist/synth/tls-messages.js';

const args = process.argv.slice(2);
const out = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const totalPackets = Number(opt('--packets', 2_000_000));
const format = opt('--format', 'pcap');
const tls = args.includes('--tls');
const concurrent = Number(opt('--concurrent', 2000));
const snaplen = Number(opt('--snaplen', 256)) || 65535;
if (!out) {
  console.error('usage: generate-capture.mjs OUT [--packets N] [--format pcap|pcapng] [--concurrent N] [--tls]');
  process.exit(2);
}

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);

const fd = openSync(out, 'w');
const chunk = Buffer.alloc(8 << 20);
let fill = 0;
const flushChunk = () => {
  writeSync(fd, chunk, 0, fill);
  fill = 0;
};

const PCAP = { endian: 'le', snapLength: snaplen, linkType: 1 };
const header = format === 'pcapng' ? Buffer.concat([shb('le'), idb('le', { linkType: 1, snapLength: snaplen })]) : pcapHeader(PCAP);
fill += header.copy(chunk, fill);

const frame = Buffer.alloc(2048);
let timeUs = 1_700_000_000 * 1e6;

function writePacket(len) {
  const caplen = Math.min(len, snaplen);
  if (fill + caplen + 64 > chunk.length) flushChunk();
  const data = frame.subarray(0, caplen);
  const sec = Math.floor(timeUs / 1e6);
  const block = format === 'pcapng'
    ? epb('le', { timestamp: BigInt(timeUs), data, originalLength: len })
    : pcapRecord(PCAP, { seconds: sec, fraction: timeUs - sec * 1e6, data, originalLength: len });
  fill += block.copy(chunk, fill);
  // About 33,000 packets/s: a 2M-packet capture spans a minute, so closed flows time out as they would.
  timeUs += 1 + Math.floor(rand() * 60);
}

/** Ethernet and IPv4 headers (don't fragment, checksum 0: no reader checks it); returns where the transport header starts. */
function ipv4(src, dst, proto, payloadLen) {
  return writeIpv4Header(frame, writeEthernetHeader(frame, 0, 0x0800), src, dst, proto, 20 + payloadLen, 0, 0x4000);
}

function tcp(src, dst, sport, dport, seq, ack, flags, dataLen, fillData) {
  const at = writeTcpHeader(frame, ipv4(src, dst, 6, 20 + dataLen), sport, dport, seq, ack, flags);
  if (fillData) fillData(at, dataLen);
  else frame.fill(0x41, at, at + dataLen);
  writePacket(at + dataLen);
}

const SNI = 'api.example.internal';
const CIPHER_SUITES = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
// What every ClientHello body shares up to its extensions: legacy_version, random (zeros),
// a 32-byte legacy_session_id, the cipher suites, null compression.
const HELLO_FIXED = Buffer.concat([
  Buffer.from([0x03, 0x03]), Buffer.alloc(32), Buffer.from([32]), Buffer.alloc(32),
  Buffer.from([0, CIPHER_SUITES.length * 2, ...CIPHER_SUITES.flatMap((s) => [s >> 8, s & 0xff])]),
  Buffer.from([1, 0]),
]);
const keyShare = Buffer.alloc(2 + 4 + 32);
keyShare.writeUInt16BE(36, 0); keyShare.writeUInt16BE(0x001d, 2); keyShare.writeUInt16BE(32, 4);
const HELLO_EXTENSIONS = Buffer.concat([
  sniExtension(SNI),
  clientVersionsExtension([0x0304, 0x0303]),
  alpnExtension(['h2', 'http/1.1']),
  extension(10, Buffer.from([0, 4, 0x00, 0x1d, 0x00, 0x17])), // supported_groups
  extension(13, Buffer.from([0, 4, 0x04, 0x03, 0x08, 0x04])), // signature_algorithms
  extension(51, keyShare), // key_share: X25519
]);
const PADDING = 21;
/** The shortest ClientHello clientHello() writes: record and message headers, body, an empty padding extension. */
const CLIENT_HELLO_MIN = 5 + 4 + HELLO_FIXED.length + 2 + HELLO_EXTENSIONS.length + 4;

// A TLS 1.3 ClientHello record as clients send it (RFC 8446 4.1.2), `len` bytes, padded with the
// padding extension (RFC 7685) as browsers and curl do.
function clientHello(at, len) {
  frame.fill(0, at, at + len);
  frame[at] = 0x16; frame.writeUInt16BE(0x0301, at + 1); frame.writeUInt16BE(len - 5, at + 3);
  frame[at + 5] = 1; frame.writeUIntBE(len - 9, at + 6, 3);
  let p = at + 9 + HELLO_FIXED.copy(frame, at + 9);
  frame.writeUInt16BE(len - (p + 2 - at), p); p += 2;
  p += HELLO_EXTENSIONS.copy(frame, p);
  frame.writeUInt16BE(PADDING, p); frame.writeUInt16BE(at + len - p - 4, p + 2);
}

// The server's first segment of a TLS 1.3 handshake: ServerHello (supported_versions 1.3, key
// share), ChangeCipherSpec, then the encrypted rest of its flight as one application-data record.
function serverHello(at, len) {
  frame.fill(0, at, at + len);
  const helloLength = 4 + 2 + 32 + 33 + 2 + 1 + 2 + 6 + 40;
  frame[at] = 0x16; frame.writeUInt16BE(0x0303, at + 1); frame.writeUInt16BE(helloLength, at + 3);
  frame[at + 5] = 2; frame.writeUIntBE(helloLength - 4, at + 6, 3); frame.writeUInt16BE(0x0303, at + 9);
  let p = at + 11 + 32; // random
  frame[p++] = 32; p += 32; // legacy_session_id_echo
  frame.writeUInt16BE(0x1301, p); p += 2; frame[p++] = 0;
  frame.writeUInt16BE(46, p); p += 2;
  frame.writeUInt16BE(43, p); frame.writeUInt16BE(2, p + 2); frame.writeUInt16BE(0x0304, p + 4); p += 6;
  frame.writeUInt16BE(51, p); frame.writeUInt16BE(36, p + 2); frame.writeUInt16BE(0x001d, p + 4); frame.writeUInt16BE(32, p + 6); p += 40;
  frame[p] = 0x14; frame.writeUInt16BE(0x0303, p + 1); frame.writeUInt16BE(1, p + 3); frame[p + 5] = 1; p += 6;
  applicationData(p, at + len - p);
}

/** The server's first segment is at least this long: hello, ChangeCipherSpec, a record header and a byte. */
const SERVER_FLIGHT_MIN = 5 + 4 + 2 + 32 + 33 + 2 + 1 + 2 + 6 + 40 + 6 + 6;

// Encrypted records filling `len` bytes (a segment may end inside a record, as on the wire).
function applicationData(at, len) {
  frame.fill(0x5a, at, at + len);
  if (len < 6) return;
  frame[at] = 0x17; frame.writeUInt16BE(0x0303, at + 1); frame.writeUInt16BE(len - 5, at + 3);
}

// A connection: handshake, `rounds` request/response exchanges, FIN/ACK teardown.
// Endpoints repeat, as in a cluster: 2,000 client pods reach 500 server endpoints, each connection
// on its own ephemeral port (client and port together stay unique across a run).
const CLIENTS = 2000;
const SERVERS = 500;

function newConnection(i) {
  const k = i % CLIENTS;
  const s = Math.floor(rand() * SERVERS);
  const client = (10 << 24) | (1 << 16) | ((k >> 8) << 8) | (k & 0xff);
  const server = (10 << 24) | (2 << 16) | ((s >> 8) << 8) | ((s & 0xff) + 1);
  return {
    client, server,
    sport: 1024 + (i % 60000), dport: [443, 8443, 9042, 20001, 8843, 7070][i % 6],
    cseq: Math.floor(rand() * 2 ** 32), sseq: Math.floor(rand() * 2 ** 32),
    step: 0, rounds: 5 + Math.floor(rand() * 30),
  };
}

function stepConnection(c) {
  const { client, server, sport, dport } = c;
  switch (c.step) {
    case 0: tcp(client, server, sport, dport, c.cseq, 0, 0x02, 0); c.cseq++; break;
    case 1: tcp(server, client, dport, sport, c.sseq, c.cseq, 0x12, 0); c.sseq++; break;
    case 2: tcp(client, server, sport, dport, c.cseq, c.sseq, 0x10, 0); break;
    default: {
      const round = c.step - 3;
      if (round < c.rounds * 3) {
        // Each exchange: a request, a response, and the client's pure ACK of it.
        const phase = round % 3;
        if (phase === 2) {
          tcp(client, server, sport, dport, c.cseq, c.sseq, 0x10, 0);
        } else {
          const fromClient = phase === 0;
          let len = fromClient ? 40 + Math.floor(rand() * 400) : rand() < 0.5 ? 60 + Math.floor(rand() * 400) : 1448;
          if (tls && round === 0) len = Math.max(len, CLIENT_HELLO_MIN);
          if (tls && round === 1) len = Math.max(len, SERVER_FLIGHT_MIN);
          const filler = !tls ? undefined : round === 0 ? clientHello : round === 1 ? serverHello : applicationData;
          if (fromClient) { tcp(client, server, sport, dport, c.cseq, c.sseq, 0x18, len, filler); c.cseq += len; }
          else { tcp(server, client, dport, sport, c.sseq, c.cseq, 0x18, len, filler); c.sseq += len; }
        }
      } else {
        const t = round - c.rounds * 3;
        if (t === 0) { tcp(client, server, sport, dport, c.cseq, c.sseq, 0x11, 0); c.cseq++; }
        else if (t === 1) { tcp(server, client, dport, sport, c.sseq, c.cseq, 0x11, 0); c.sseq++; }
        else { tcp(client, server, sport, dport, c.cseq, c.sseq, 0x10, 0); return false; }
      }
    }
  }
  c.step++;
  return true;
}

function dnsExchange(i) {
  const client = (10 << 24) | (1 << 16) | (i & 0xffff);
  const resolver = (10 << 24) | (96 << 16) | 10;
  const sport = 30000 + (i % 30000);
  let at = writeUdpHeader(frame, ipv4(client, resolver, 17, 8 + 40), sport, 53, 40);
  frame.fill(0x20, at, at + 40);
  writePacket(at + 40);
  at = writeUdpHeader(frame, ipv4(resolver, client, 17, 8 + 56), 53, sport, 56);
  frame.fill(0x21, at, at + 56);
  writePacket(at + 56);
}

let written = 0;
let next = 0;
const live = [];
while (written < totalPackets) {
  while (live.length < concurrent) live.push(newConnection(next++));
  const k = Math.floor(rand() * live.length);
  if (!stepConnection(live[k])) { live[k] = live[live.length - 1]; live.pop(); }
  written++;
  // Mostly TCP: a DNS exchange (a flow of its own) every 500 packets.
  if (written % 500 === 0 && written + 2 <= totalPackets) { dnsExchange(written / 500); written += 2; }
}
flushChunk();
closeSync(fd);
console.error(`wrote ${out}: ${written} packets, ${next} TCP connections, ${format}${tls ? ', TLS hellos' : ''}`);
