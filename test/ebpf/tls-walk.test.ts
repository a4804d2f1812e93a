/**
 * The kernel's walk over TLS record headers (docs/ebpf.md, "The end of a TLS handshake") on
 * segments cut where real stacks rarely cut them: crafted TCP segments written with a packet
 * socket on one end of a veth pair, the loader on it (its egress hook sees them; nothing answers).
 * Each flow is a SYN and then its segments; what the loader sends of it is compared with where
 * the handshake ends, or with all of it where the walk must give up and fall back to the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderPayload } from '../../src/engine/loader-events.js';
import { gate } from '../support/tshark.js';
import { ebpfUnavailable, flowKeyText, LoaderProcess, streamOf } from './loader-process.js';
import { mustRun, PodLab, sleep } from './pod-lab.js';

const g = gate(ebpfUnavailable());
const DEV = 'fa-e-tw0';
const PEER = 'fa-e-tw1';

/** A TLS record: type, version 3.3, length, body of `length` bytes. */
function record(type: number, length: number): Buffer {
  const r = Buffer.alloc(5 + length, 0x61);
  r[0] = type;
  r[1] = 3;
  r[2] = 3;
  r.writeUInt16BE(length, 3);
  return r;
}

const HANDSHAKE = 22;
const APPLICATION_DATA = 23;

interface Case {
  readonly name: string;
  /** Client port: one flow per case. */
  readonly port: number;
  readonly stream: Buffer;
  /** Stream offsets where segments end (the last one is the stream's end); `skip` leaves one out. */
  readonly cuts: readonly number[];
  readonly skip?: number;
  /** Bytes of the stream the loader should send, from offset 0. */
  readonly expected: number;
}

const threeRecords = Buffer.concat([record(HANDSHAKE, 10), record(HANDSHAKE, 300), record(HANDSHAKE, 10), record(APPLICATION_DATA, 500)]);
const manyRecords = Buffer.concat([...Array.from({ length: 20 }, () => record(HANDSHAKE, 1)), record(APPLICATION_DATA, 200)]);
const endOfHandshake = 15 + 305 + 15 + 5; // three handshake records and the application data header

const CASES: readonly Case[] = [
  // A header cut between the two bytes of its length (the high byte kept from the earlier segment).
  { name: 'length split across segments', port: 41001, stream: threeRecords, cuts: [15 + 4, 200, threeRecords.length], expected: endOfHandshake },
  // A header cut right after its type byte, and the ending record's header cut too.
  { name: 'type byte alone in a segment', port: 41002, stream: threeRecords, cuts: [15 + 1, 15 + 305 + 2, threeRecords.length], expected: endOfHandshake },
  // A segment left out: the walk cannot follow, so the direction falls back to the limit.
  { name: 'a gap', port: 41003, stream: threeRecords, cuts: [100, 200, threeRecords.length], skip: 1, expected: threeRecords.length },
  // More records in one segment than the walk follows: the limit again.
  { name: 'more than 16 records in one segment', port: 41004, stream: manyRecords, cuts: [manyRecords.length], expected: manyRecords.length },
  // Not TLS: the limit.
  { name: 'plaintext', port: 41005, stream: Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), threeRecords]), cuts: [16 + threeRecords.length], expected: 16 + threeRecords.length },
];

/** Writes each case's SYN and segments on DEV with a packet socket (argv: the cases as JSON). */
const SENDER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
def packet(sport, seq, flags, data):
    tcp = struct.pack("!HHIIBBHHH", sport, 443, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(data), 1, 0, 64, 6, 0, bytes([10, 237, 11, 1]), bytes([10, 237, 11, 2]))
    return b"\\x02\\x00\\x00\\x00\\x00\\x02" + b"\\x02\\x00\\x00\\x00\\x00\\x01" + b"\\x08\\x00" + ip + tcp + data
for c in json.loads(sys.argv[2]):
    stream = bytes.fromhex(c["stream"])
    isn = 1000
    s.send(packet(c["port"], isn, 0x02, b""))
    start = 0
    for i, end in enumerate(c["cuts"]):
        if i != c.get("skip", -1):
            s.send(packet(c["port"], isn + 1 + start, 0x18, stream[start:end]))
        start = end
`;

describe.skipIf(g.skip)(`eBPF TLS record walk on crafted segments${g.suffix}`, () => {
  let loader: LoaderProcess;
  const sent = new Map<string, Buffer>();

  beforeAll(async () => {
    g.assertAvailable();
    PodLab.removeLeftovers();
    mustRun('ip', ['link', 'add', DEV, 'type', 'veth', 'peer', 'name', PEER]);
    for (const dev of [DEV, PEER]) {
      mustRun('sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
      mustRun('ip', ['link', 'set', dev, 'up']);
    }
    loader = await LoaderProcess.start(['-i', DEV]);
    await loader.waitInterface(DEV, true);
    const cases = CASES.map((c) => ({ port: c.port, stream: c.stream.toString('hex'), cuts: c.cuts, skip: c.skip }));
    mustRun('python3', ['-c', SENDER, DEV, JSON.stringify(cases)]);
    await sleep(300);
    expect(await loader.stop()).toEqual({ code: 0, signal: null });
    const chunks = loader.events.filter((e): e is LoaderPayload => e.kind === 'payload');
    for (const f of loader.lastFlows()) {
      const c = CASES.find((x) => x.port === f.key.a.port || x.port === f.key.b.port);
      // The client (10.237.11.1) is the lower address: side A.
      if (c) sent.set(c.name, streamOf(chunks, flowKeyText(f), false));
    }
  }, 60_000);

  afterAll(async () => {
    await loader?.stop('SIGKILL');
    PodLab.removeLeftovers();
  });

  for (const c of CASES) {
    it(`${c.name}: sends ${c.expected} of the stream's ${c.stream.length} bytes`, () => {
      const got = sent.get(c.name);
      expect(got, 'a flow with payload').toBeDefined();
      // Where a segment was left out, its bytes are zeros in the put-together stream.
      const expected = Buffer.from(c.stream.subarray(0, c.expected));
      if (c.skip !== undefined) expected.fill(0, c.skip === 0 ? 0 : c.cuts[c.skip - 1], c.cuts[c.skip]);
      expect(got!.toString('hex')).toBe(expected.toString('hex'));
    });
  }
});
