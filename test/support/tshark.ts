/**
 * The reference side of the differential tests: tshark (Wireshark's dissector) run on a capture,
 * its fields parsed into per-stream, per-direction packet and byte counts; and flowaudit's own CLI
 * run on the same file, its JSON parsed. Nothing here reuses code from src/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CAPTURE_DIR = join(REPO_ROOT, 'test/fixtures/captures');

// ---------------------------------------------------------------------------------------------
// Tools and capability gates

/** True if `name` is an executable on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Null when every tool is on PATH, else the reason naming the missing ones. */
export function missingTools(tools: readonly string[]): string | null {
  const missing = tools.filter((t) => !hasCommand(t));
  return missing.length === 0 ? null : `not installed: ${missing.join(', ')}`;
}

export interface Gate {
  /** Pass to it.skipIf / describe.skipIf. */
  readonly skip: boolean;
  /** Appended to test names, so a skip says why in the report. */
  readonly suffix: string;
  /** Call first thing in the test body: throws the reason when a capability is missing under CI. */
  assertAvailable(): void;
}

/**
 * The skip policy of tests that need real tools: with a capability missing they skip and say why,
 * except when CI=true, where they run and fail with the reason instead.
 */
export function gate(reason: string | null): Gate {
  const ci = process.env.CI === 'true';
  const skip = reason !== null && !ci;
  if (skip) console.warn(`skipping: ${reason}`);
  return {
    skip,
    suffix: reason === null ? '' : ci ? ` [CI: ${reason}]` : ` [skipped: ${reason}]`,
    assertAvailable() {
      if (reason !== null) throw new Error(`required capability missing (CI=true makes this a failure): ${reason}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// tshark

const tsharkCache = new Map<string, string>();
const DISK_CACHE = join(tmpdir(), `flowaudit-tshark-cache-${process.getuid?.() ?? 'user'}`);
let tsharkIdentity: string | undefined;

/**
 * Runs tshark on a capture (`args` must hold `-r FILE`) and returns stdout; stderr (the "running as
 * root" note) is dropped unless it fails. tshark takes half a second to start, so its output is
 * kept, in memory and in a temp directory shared by the test files, under a key made of the
 * arguments, the capture's content hash and the tshark binary's identity: never stale, only
 * never recomputed. Only the reference side is cached; flowaudit always runs.
 */
export function tshark(args: readonly string[]): string {
  const fileAt = args.indexOf('-r') + 1;
  if (fileAt === 0) throw new Error('tshark(): expected -r FILE');
  const content = createHash('sha256').update(readFileSync(args[fileAt])).digest('hex');
  tsharkIdentity ??= tsharkBinaryIdentity();
  const key = createHash('sha256')
    .update(JSON.stringify([tsharkIdentity, content, args.map((a, i) => (i === fileAt ? '' : a))]))
    .digest('hex');
  let out = tsharkCache.get(key);
  if (out !== undefined) return out;
  const cached = join(DISK_CACHE, key);
  if (existsSync(cached)) {
    out = readFileSync(cached, 'utf8');
  } else {
    out = runTshark(args);
    mkdirSync(DISK_CACHE, { recursive: true });
    // Write then rename: a reader never sees half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, out);
    renameSync(partial, cached);
  }
  tsharkCache.set(key, out);
  return out;
}

function tsharkBinaryIdentity(): string {
  const which = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).stdout.trim();
  const real = realpathSync(which);
  const st = statSync(real);
  return `${real}:${st.size}:${st.mtimeMs}`;
}

function runTshark(args: readonly string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * One row per frame (those matching `filter`, if given), one string per field, '' when absent.
 * `occurrence=f` (the default here): the first occurrence of each field, so an ICMP error's quoted
 * inner header does not count; `a`: all, comma-separated.
 */
export function tsharkFields(file: string, fields: readonly string[], filter?: string, occurrence: 'f' | 'a' = 'f'): Record<string, string>[] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', `occurrence=${occurrence}`, '-E', 'header=n'];
  if (filter !== undefined) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  return tshark(args)
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const values = line.split('\t');
      const row: Record<string, string> = {};
      fields.forEach((f, i) => (row[f] = values[i] ?? ''));
      return row;
    });
}

/** tshark 4.0 prints boolean flags as 1/0, later versions as True/False. */
function flag(value: string): boolean {
  return value === '1' || value.toLowerCase() === 'true';
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface DirectionCount {
  packets: number;
  /** IP-layer bytes: ip.len, or ipv6.plen + 40. */
  bytes: number;
}

/** One tshark tcp.stream or udp.stream, oriented client -> server. */
export interface Stream {
  protocol: 'tcp' | 'udp';
  stream: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  /**
   * How the client was chosen: the sender of a SYN; else the receiver of a SYN-ACK; else (UDP, or
   * TCP picked up mid-stream) the sender of the first packet.
   */
  clientBy: 'syn' | 'syn-ack' | 'first-packet';
  toServer: DirectionCount;
  toClient: DirectionCount;
  /** frame.time_epoch of the first and last frame, seconds. */
  firstSeen: number;
  lastSeen: number;
}

/**
 * Every field the tests read, for every frame, in one tshark run per file (tshark takes half a
 * second to start; one run per question would make the suite crawl). The stream fields are the
 * ones of `-e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport
 * -e ip.len -e ipv6.plen -e tcp.flags.syn -e tcp.flags.ack` (and the same for UDP).
 */
const FRAME_FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'ip.len',
  'ipv6.plen',
  'tcp.stream',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags.syn',
  'tcp.flags.ack',
  'udp.stream',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmpv6.type',
  // On the frame that completes an IP datagram (tshark reassembles by default): the frame numbers
  // of all its fragments, this one included.
  'ip.fragment',
  'ipv6.fragment',
  // Which datagram a fragment belongs to.
  'ip.id',
  'ip.flags.mf',
  'ip.frag_offset',
  'ipv6.fraghdr.ident',
] as const;

/** The fields whose every occurrence is kept (comma-separated); of the others, the first. */
const LIST_FIELDS: ReadonlySet<string> = new Set(['ip.fragment', 'ipv6.fragment']);

export type FrameRow = Record<(typeof FRAME_FIELDS)[number], string>;

/**
 * One row per frame of `file`, every field of FRAME_FIELDS ('' when the frame has none). Of a
 * field that occurs more than once (an ICMP error quotes the IP and UDP headers of the packet it
 * answers) the first occurrence: the outer one.
 */
export function tsharkFrames(file: string): FrameRow[] {
  return tsharkFields(file, FRAME_FIELDS, undefined, 'a').map((row) => {
    for (const f of FRAME_FIELDS) if (!LIST_FIELDS.has(f)) row[f] = row[f].split(',')[0];
    return row as FrameRow;
  });
}

/** The number of lines of `tshark -r F -T fields -e frame.number`: one per frame. */
export function tsharkFrameCount(file: string): number {
  return tsharkFrames(file).length;
}

/** IP-layer bytes of a frame: ip.len, or ipv6.plen + 40; null if it is not IP. */
export function ipBytes(r: FrameRow): number | null {
  if (r['ip.src'] !== '') return Number(r['ip.len']);
  if (r['ipv6.src'] !== '') return Number(r['ipv6.plen']) + 40;
  return null;
}

/**
 * tshark's TCP or UDP streams with per-direction packets and IP bytes, aggregated from the stream
 * fields. The client of a TCP stream is the side that sent a SYN without ACK (else the receiver of
 * the SYN-ACK, else the first sender); of a UDP stream, the sender of its first datagram.
 *
 * Fragments: tshark puts the transport fields (and the stream) only on the frame that completes
 * the datagram, and lists there every fragment's frame number. Each fragment is a packet on the
 * wire with its own IP bytes, and flowaudit counts it in the datagram's flow, so here too: a
 * fragment frame joins the stream of the frame that lists it, with that frame's ports (or, for a
 * duplicate tshark left out of the reassembly, of the frame that completed the same datagram).
 */
export function tsharkStreams(file: string, protocol: 'tcp' | 'udp'): Stream[] {
  // An ICMP error quoting a UDP or TCP header gets the quoted connection's udp.stream/tcp.stream
  // from tshark, but it is an ICMP packet: flowaudit counts it in an ICMP flow, and so do these
  // streams (and tshark's own conv tables).
  const isStreamFrame = (r: FrameRow) => r[`${protocol}.stream`] !== '' && r['icmp.type'] === '' && r['icmpv6.type'] === '';
  const frames = tsharkFrames(file);
  const byFrame = new Map<string, FrameRow>();
  const byDatagram = new Map<string, FrameRow>();
  for (const r of frames.filter(isStreamFrame)) {
    const listed = `${r['ip.fragment']},${r['ipv6.fragment']}`.split(',').filter((n) => n !== '');
    for (const n of listed) byFrame.set(n, r);
    if (listed.length > 0) byDatagram.set(datagramKey(r)!, r);
  }
  const rows: FrameRow[] = [];
  for (const r of frames) {
    if (isStreamFrame(r)) {
      rows.push(r);
      continue;
    }
    // A fragment the completing frame lists; or one it does not, because it came again after
    // the datagram was complete (a duplicate: the merged file has every packet twice).
    const key = datagramKey(r);
    const o = byFrame.get(r['frame.number']) ?? (key !== null ? byDatagram.get(key) : undefined);
    if (o !== undefined) {
      rows.push({
        ...r,
        [`${protocol}.stream`]: o[`${protocol}.stream`],
        [`${protocol}.srcport`]: o[`${protocol}.srcport`],
        [`${protocol}.dstport`]: o[`${protocol}.dstport`],
      });
    }
  }
  interface Acc {
    stream: number;
    ipVersion: 4 | 6;
    firstSrc: Endpoint;
    firstDst: Endpoint;
    client?: Endpoint;
    clientBy: Stream['clientBy'];
    counts: Map<string, DirectionCount>;
    firstSeen: number;
    lastSeen: number;
  }
  const streams = new Map<number, Acc>();
  for (const r of rows) {
    const stream = Number(r[`${protocol}.stream`]);
    const v6 = r['ip.src'] === '';
    const src: Endpoint = { address: v6 ? r['ipv6.src'] : r['ip.src'], port: Number(r[`${protocol}.srcport`]) };
    const dst: Endpoint = { address: v6 ? r['ipv6.dst'] : r['ip.dst'], port: Number(r[`${protocol}.dstport`]) };
    const bytes = v6 ? Number(r['ipv6.plen']) + 40 : Number(r['ip.len']);
    const time = Number(r['frame.time_epoch']);
    if (!Number.isInteger(stream) || !Number.isInteger(bytes) || src.address === '' || dst.address === '' || !Number.isFinite(time)) {
      throw new Error(`unparsable tshark row in ${file}: ${JSON.stringify(r)}`);
    }
    let acc = streams.get(stream);
    if (acc === undefined) {
      acc = { stream, ipVersion: v6 ? 6 : 4, firstSrc: src, firstDst: dst, clientBy: 'first-packet', counts: new Map(), firstSeen: time, lastSeen: time };
      streams.set(stream, acc);
    }
    if (protocol === 'tcp' && flag(r['tcp.flags.syn']) && acc.clientBy !== 'syn') {
      if (!flag(r['tcp.flags.ack'])) {
        acc.client = src;
        acc.clientBy = 'syn';
      } else if (acc.client === undefined) {
        acc.client = dst;
        acc.clientBy = 'syn-ack';
      }
    }
    const key = endpointKey(src);
    const c = acc.counts.get(key) ?? { packets: 0, bytes: 0 };
    c.packets++;
    c.bytes += bytes;
    acc.counts.set(key, c);
    acc.firstSeen = Math.min(acc.firstSeen, time);
    acc.lastSeen = Math.max(acc.lastSeen, time);
  }
  const out: Stream[] = [];
  for (const acc of streams.values()) {
    const client = acc.client ?? acc.firstSrc;
    const server = endpointKey(client) === endpointKey(acc.firstSrc) ? acc.firstDst : acc.firstSrc;
    out.push({
      protocol,
      stream: acc.stream,
      ipVersion: acc.ipVersion,
      client,
      server,
      clientBy: acc.clientBy,
      toServer: acc.counts.get(endpointKey(client)) ?? { packets: 0, bytes: 0 },
      toClient: acc.counts.get(endpointKey(server)) ?? { packets: 0, bytes: 0 },
      firstSeen: acc.firstSeen,
      lastSeen: acc.lastSeen,
    });
  }
  return out.sort((a, b) => a.stream - b.stream);
}

/** Addresses and IP identification of a fragment (or of a reassembled datagram's last one), else null. */
function datagramKey(r: FrameRow): string | null {
  if (r['ipv6.fraghdr.ident'] !== '') return `${r['ipv6.src']}|${r['ipv6.dst']}|${r['ipv6.fraghdr.ident']}`;
  if (r['ip.src'] !== '' && (flag(r['ip.flags.mf']) || Number(r['ip.frag_offset']) > 0)) return `${r['ip.src']}|${r['ip.dst']}|${r['ip.id']}`;
  return null;
}

export function endpointKey(e: Endpoint): string {
  return `${e.address}|${e.port}`;
}

/** One row of `tshark -q -z conv,tcp` (or udp): endpoints A and B, frames each way. */
export interface Conversation {
  a: Endpoint;
  b: Endpoint;
  framesAtoB: number;
  framesBtoA: number;
}

/**
 * Parses `tshark -q -z conv,<proto>`. Rows look like
 * `10.0.0.2:43008  <-> 10.0.0.1:8443   9 2021 bytes   11 1465 bytes   20 3486 bytes  0.07  0.0059`
 * where the first pair is B->A ("<-") and the second A->B ("->"); bytes may carry a unit (kB), so
 * only frames are taken.
 */
export function tsharkConversations(file: string, protocol: 'tcp' | 'udp'): Conversation[] {
  // Both tables in one run; the TCP one comes first, each under its own title.
  const text = tshark(['-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp']);
  const title = protocol === 'tcp' ? 'TCP Conversations' : 'UDP Conversations';
  const start = text.indexOf(title);
  if (start < 0) throw new Error(`no "${title}" in tshark's output for ${file}`);
  const section = text.slice(start).split(/^=+$/m)[0];
  const out: Conversation[] = [];
  for (const line of section.split('\n')) {
    const m = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+[\d.,]+\s+\S+\s+(\d+)\s+[\d.,]+\s+\S+\s+\d+\s/.exec(line);
    if (!m) continue;
    out.push({
      a: { address: m[1], port: Number(m[2]) },
      b: { address: m[3], port: Number(m[4]) },
      framesBtoA: Number(m[5]),
      framesAtoB: Number(m[6]),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// flowaudit's CLI

export interface CliDirection {
  packets: number;
  bytes: number;
}

/** The fields of `flows -f json` the differential tests read. */
export interface CliFlow {
  id: number;
  protocol: string;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  initiatorEvidence: string;
  firstSeen: number;
  lastSeen: number;
  toServer: CliDirection;
  toClient: CliDirection;
  tcpState: string;
  endReason: string;
  /** Non-first IP fragments counted in this flow's packets. */
  laterFragments: number;
}

export interface CliCapture {
  file: string;
  format: string;
  compressed: boolean;
  packets: number;
}

export interface CliFlowsOutput {
  flows: CliFlow[];
  captures: CliCapture[];
  decode: Record<string, number>;
  tunnels: { decapsulated: Record<string, number>; notDecoded: Record<string, number> };
}

const CLI = join(REPO_ROOT, 'dist/bin/flowaudit.js');
let built = false;

/**
 * Builds dist/ with `npx tsc -p .` when it is missing or older than a source file (scripts/test.sh
 * builds before the tests; this keeps a bare `npx vitest run test/differential` honest too).
 */
export function ensureCliBuilt(): void {
  if (built) return;
  const cliTime = existsSync(CLI) ? statSync(CLI).mtimeMs : -1;
  if (cliTime < newestMtime(join(REPO_ROOT, 'src'))) {
    const r = spawnSync('npx', ['tsc', '-p', '.'], { cwd: REPO_ROOT, encoding: 'utf8' });
    // tsc still emits on type errors; only a missing CLI is fatal here, the tests judge the rest.
    if (!existsSync(CLI)) throw new Error(`build failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    if (r.status !== 0) console.warn(`npx tsc -p . exited ${r.status}; testing what it emitted:\n${r.stdout}`);
  }
  built = true;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const cliCache = new Map<string, string>();

/**
 * `node dist/bin/flowaudit.js flows FILE... -f json -q`, parsed (a fresh object each call; the output is
 * memoized per argument list). Throws on a non-zero exit.
 */
export function flowauditFlows(files: readonly string[], extraArgs: readonly string[] = []): CliFlowsOutput {
  const args = [CLI, 'flows', ...files, '-f', 'json', '-q', ...extraArgs];
  const key = JSON.stringify(args);
  let stdout = cliCache.get(key);
  if (stdout === undefined) {
    ensureCliBuilt();
    stdout = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    cliCache.set(key, stdout);
  }
  return cliFlowsOutput(JSON.parse(stdout) as FlowsJson);
}

/** `flows -f json` as written (docs/output.md): snake_case, ISO 8601 times. */
interface FlowsJson {
  flows: {
    id: number;
    protocol: string;
    ip_version: 4 | 6;
    client: Endpoint;
    server: Endpoint;
    initiator_evidence: string;
    first_seen: string;
    last_seen: string;
    to_server: CliDirection;
    to_client: CliDirection;
    tcp_state: string;
    end_reason: string;
    later_fragments: number;
    [other: string]: unknown;
  }[];
  run: { captures: CliCapture[]; decode: Record<string, number>; tunnels: { decapsulated: Record<string, number>; not_decoded: Record<string, number> } };
}

/** The output read into the shape the differential tests compare, its times as seconds since the epoch. */
function cliFlowsOutput(json: FlowsJson): CliFlowsOutput {
  const flows = json.flows.map(({ ip_version, initiator_evidence, first_seen, last_seen, to_server, to_client, tcp_state, end_reason, later_fragments, ...rest }) => ({
    ...rest,
    ipVersion: ip_version,
    initiatorEvidence: initiator_evidence,
    firstSeen: epochSeconds(first_seen),
    lastSeen: epochSeconds(last_seen),
    toServer: to_server,
    toClient: to_client,
    tcpState: tcp_state,
    endReason: end_reason,
    laterFragments: later_fragments,
  })) as CliFlow[];
  const { decapsulated, not_decoded: notDecoded } = json.run.tunnels;
  return { flows, captures: json.run.captures, decode: json.run.decode, tunnels: { decapsulated, notDecoded } };
}

/** "2024-05-01T12:00:00.123456Z" as 1714564800.123456. */
export function epochSeconds(iso: string): number {
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? '0';
  return Date.parse(`${iso.slice(0, 19)}Z`) / 1000 + Number(`0.${fraction}`);
}

// ---------------------------------------------------------------------------------------------
// Comparison shapes

/** The comparable part of a flow or stream, keyed so that two lists can be matched exactly. */
export interface FlowShape {
  protocol: string;
  ipVersion: number;
  client: string;
  server: string;
  toServer: CliDirection;
  toClient: CliDirection;
}

export function streamShape(s: Stream): FlowShape {
  return {
    protocol: s.protocol,
    ipVersion: s.ipVersion,
    client: endpointKey(s.client),
    server: endpointKey(s.server),
    toServer: { ...s.toServer },
    toClient: { ...s.toClient },
  };
}

export function flowShape(f: CliFlow): FlowShape {
  return {
    protocol: f.protocol,
    ipVersion: f.ipVersion,
    client: endpointKey(f.client),
    server: endpointKey(f.server),
    toServer: { packets: f.toServer.packets, bytes: f.toServer.bytes },
    toClient: { packets: f.toClient.packets, bytes: f.toClient.bytes },
  };
}

/** The same shape seen from the other side: client and server, and their directions, swapped. */
function unoriented(s: FlowShape): FlowShape {
  if (s.client <= s.server) return s;
  return { ...s, client: s.server, server: s.client, toServer: s.toClient, toClient: s.toServer };
}

/**
 * What a TCP stream without SYN or SYN-ACK can be compared on. Neither side can know who opened
 * it: tshark's orientation here is the first packet's sender, flowaudit's a port heuristic. So
 * such a stream compares as an unordered pair of endpoints, each with what it sent.
 */
export function comparableStream(s: Stream): FlowShape {
  return s.protocol === 'tcp' && s.clientBy === 'first-packet' ? unoriented(streamShape(s)) : streamShape(s);
}

/** The flowaudit side of comparableStream: flows whose initiator is a guess compare unordered. */
export function comparableFlow(f: CliFlow): FlowShape {
  return f.initiatorEvidence === 'port-heuristic' ? unoriented(flowShape(f)) : flowShape(f);
}

/** A stable order for lists of shapes (several flows may share endpoints: port reuse). */
export function sortShapes(shapes: FlowShape[]): FlowShape[] {
  const key = (s: FlowShape) => JSON.stringify([s.protocol, s.client, s.server, s.toServer.packets, s.toServer.bytes, s.toClient.packets, s.toClient.bytes]);
  return [...shapes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The committed captures (test/fixtures/make-captures.sh): one recording of the same traffic,
// written in several formats.

/**
 * Float slack when comparing epoch times as doubles: two ulps (an ulp is 2^-22 s, 2.4e-7, for
 * times between 2^30 and 2^31 seconds, i.e. 2004 to 2038).
 */
export const FLOAT_SLACK = 5e-7;

export interface CommittedCapture {
  readonly name: string;
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  readonly compressed: boolean;
  /** LINKTYPE_ of each interface: Ethernet (veth0), LINUX_SLL2 ("any"), or both (merged). */
  readonly linkTypes: readonly number[];
  /** Timestamp resolution of the file, seconds. */
  readonly resolution: 1e-6 | 1e-9;
  /**
   * Which recording the file comes from: every Ethernet file is derived from the one veth0
   * recording; the SLL2 file is a second recording made at the same time on "any", whose packet
   * socket stamped each packet itself (microseconds apart from the first); the merged file holds
   * both.
   */
  readonly recording: 'veth0' | 'any' | 'both';
  /** How many copies of each packet: 2 in the merged file. */
  readonly copies: 1 | 2;
  /** Classic microsecond pcap (plain or gzip), which the pcap-parser package can read. */
  readonly pcapParser: boolean;
}

function committed(name: string, format: 'pcap' | 'pcapng', rest: Partial<CommittedCapture> = {}): CommittedCapture {
  return { name, path: join(CAPTURE_DIR, name), format, compressed: false, linkTypes: [1], resolution: 1e-6, recording: 'veth0', copies: 1, pcapParser: false, ...rest };
}

export const COMMITTED_CAPTURES: readonly CommittedCapture[] = [
  committed('traffic.pcap', 'pcap', { pcapParser: true }),
  committed('traffic.pcapng', 'pcapng'),
  committed('traffic-nanos.pcap', 'pcap', { resolution: 1e-9 }),
  committed('traffic-nanos.pcapng', 'pcapng', { resolution: 1e-9 }),
  committed('traffic-sll2.pcap', 'pcap', { linkTypes: [276], recording: 'any', pcapParser: true }),
  committed('traffic.pcap.gz', 'pcap', { compressed: true, pcapParser: true }),
  // Interleaved by time: times are those of whichever copy came first, to the microsecond at worst.
  committed('traffic-merged.pcapng', 'pcapng', { linkTypes: [1, 276], resolution: 1e-6, recording: 'both', copies: 2 }),
];
