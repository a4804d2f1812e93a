/**
 * `flowaudit analyze` end to end: the built CLI run as a user runs it,
 * on captures from the benchmark generator, with the documented exit codes, one-line errors, and
 * no report written when an input fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elements, parseXml } from '../export/xml-check.js';
import { manyPeersCapture, type ManyPeersCapture } from '../support/many-peers-capture.js';
import { newTempDir } from '../support/temp-dir.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const BENCH_RULES = join(ROOT, 'bench/bench-rules.yaml');

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string | Buffer): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function read(name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** Writes cut.pcap: plain.pcap cut 10 bytes into the header of its 101st record; returns that record's offset. */
function cutCapture(): number {
  const bytes = readFileSync(join(dir, 'plain.pcap'));
  let at = 24;
  // Past the first DNS exchange (the generator writes one every 500 packets).
  for (let i = 0; i < 600; i++) at += 16 + bytes.readUInt32LE(at + 8);
  write('cut.pcap', bytes.subarray(0, at + 10));
  return at;
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

/** What `flowaudit flows` says of a capture: per protocol, flows with and without payload. */
interface FlowCounts {
  total: number;
  udp: number;
  tcpWithPayload: number;
  tcpWithout: number;
}

function flowCounts(capture: string): FlowCounts {
  const r = cli('flows', capture, '-f', 'ndjson', '--payload-limit', '512');
  expect(r.code).toBe(0);
  const flows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { protocol: string; to_server: { payload_kept: number }; to_client: { payload_kept: number } });
  const tcp = flows.filter((f) => f.protocol === 'tcp');
  const withPayload = tcp.filter((f) => f.to_server.payload_kept > 0 || f.to_client.payload_kept > 0).length;
  return { total: flows.length, udp: flows.filter((f) => f.protocol === 'udp').length, tcpWithPayload: withPayload, tcpWithout: tcp.length - withPayload };
}

const NONE_MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: bench-none
  title: Benchmark capture, no security required
components:
  clients:
    match:
      - cidrs: ["10.1.0.0/16"]
  servers:
    match:
      - cidrs: ["10.2.0.0/16"]
  resolver:
    match:
      - cidrs: ["10.96.0.10/32"]
connections:
  - id: clients-to-servers
    from: clients
    to: servers
    protocol: tcp
    ports: [443, 7070, 8443, 8843, 9042, 20001]
    security: none
  - id: clients-to-resolver
    from: clients
    to: resolver
    protocol: udp
    ports: [53]
    security: none
`;

let plain: FlowCounts;
let tls: FlowCounts;

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { cwd: ROOT, stdio: 'pipe' });
  dir = newTempDir('cli').path;
  execFileSync(process.execPath, [join(ROOT, 'bench/generate-capture.mjs'), join(dir, 'plain.pcap'), '--packets', '2000'], { stdio: 'pipe' });
  execFileSync(process.execPath, [join(ROOT, 'bench/generate-capture.mjs'), join(dir, 'tls.pcap'), '--packets', '2000', '--tls'], { stdio: 'pipe' });
  write('none.yaml', NONE_MATRIX);
  plain = flowCounts('plain.pcap');
  tls = flowCounts('tls.pcap');
  // The generator's two captures are the same connections, one with TLS hellos in place of filler.
  expect(tls).toEqual(plain);
  expect(plain.udp).toBeGreaterThan(0);
  expect(plain.tcpWithPayload).toBeGreaterThan(0);
  expect(plain.tcpWithout).toBeGreaterThan(0);
}, 120_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('analyze: exit codes and the result', () => {
  it('exit 1 with violations: plaintext on the TLS rule is insecure, flows without payload unverified', () => {
    const r = cli('analyze', 'plain.pcap', '--rules', BENCH_RULES, '-q', '-o', 'plain.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(lastLine(r.stdout)).toBe(`Result: NOT COMPLIANT: ${plain.tcpWithPayload} violating flows`);
    const json = JSON.parse(read('plain.json'));
    expect(json.verdicts).toEqual({
      allowed: plain.udp,
      unverified: plain.tcpWithout,
      insecure: plain.tcpWithPayload,
      'weak-tls': 0,
      'mtls-missing': 0,
      'wrong-initiator': 0,
      unexpected: 0,
      'unknown-peer': 0,
      ignored: 0,
    });
    expect(json.coverage.map((c: { id: string; status: string; flows: number }) => [c.id, c.status, c.flows])).toEqual([
      ['clients-to-servers', 'seen', plain.tcpWithPayload + plain.tcpWithout],
      ['clients-to-resolver', 'seen', plain.udp],
    ]);
    expect(json.flows).toHaveLength(plain.total);
  });

  it('exit 0 when compliant: TLS hellos on the TLS rule, unverified flows noted', () => {
    const r = cli('analyze', 'tls.pcap', '--rules', BENCH_RULES, '-q');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lastLine(r.stdout)).toBe(`Result: COMPLIANT (${tls.tcpWithout} flows unverified)`);
    expect(r.stdout).toContain(`\nFlows by verdict: allowed ${tls.udp + tls.tcpWithPayload}, unverified ${tls.tcpWithout}\n`);
    expect(r.stdout).toMatch(/\n {2}seen {2}clients-to-servers {3}clients -> servers {3}tcp\/443,7070,8443,8843,9042,20001 {2}tls {3}\d+ flows, /);
  });

  it('exit 1 with --fail-on-unverified', () => {
    const r = cli('analyze', 'tls.pcap', '--rules', BENCH_RULES, '-q', '--fail-on-unverified');
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toBe(`Result: NOT COMPLIANT: 0 violating flows, ${tls.tcpWithout} unverified`);
  });

  it('exit 0 against a temp matrix that requires no security', () => {
    const r = cli('analyze', 'plain.pcap', '--rules', 'none.yaml', '-q');
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toBe('Result: COMPLIANT');
    expect(r.stdout).toContain(`\nFlows by verdict: allowed ${plain.total}\n`);
  });

  it('prints the capture summary on stderr unless -q', () => {
    const r = cli('analyze', 'tls.pcap', '--rules', BENCH_RULES);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('tls.pcap: pcap, 2000 packets');
    expect(r.stderr).toContain(`flows: ${tls.total} `);
  });
});

describe('analyze: reports', () => {
  it('writes JSON, NDJSON and JUnit, each consistent with the others', () => {
    const r = cli('analyze', 'plain.pcap', '--rules', BENCH_RULES, '-q', '-o', 'r.json', '-o', 'f.ndjson', '-o', 'j.xml');
    expect(r.code).toBe(1);
    const json = JSON.parse(read('r.json'));
    const ndjson = read('f.ndjson').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(ndjson).toHaveLength(plain.total);
    expect(ndjson.map((f) => f.id).sort((a, b) => a - b)).toEqual(json.flows.map((f: { id: number }) => f.id).sort((a: number, b: number) => a - b));
    for (const f of ndjson) expect(f.community_id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    const root = parseXml(read('j.xml'));
    const groups = json.violation_groups as { kind: string }[];
    const failing = groups.filter((g) => g.kind !== 'unverified').length;
    expect(elements(root, 'testcase')).toHaveLength(2 + groups.length);
    expect(root.attributes.failures).toBe(String(failing));
    expect(root.attributes.skipped).toBe(String(groups.length - failing));
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('--ndjson-records violations writes only the violating flows', () => {
    const r = cli('analyze', 'plain.pcap', '--rules', BENCH_RULES, '-q', '-o', 'v.ndjson', '--ndjson-records', 'violations');
    expect(r.code).toBe(1);
    const records = read('v.ndjson').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(plain.tcpWithPayload);
    expect(new Set(records.map((f) => f.verdict))).toEqual(new Set(['insecure']));
  });

  it('a .txt report is the summary printed on stdout', () => {
    const r = cli('analyze', 'plain.pcap', '--rules', BENCH_RULES, '-q', '-o', 'summary.txt');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Matrix /);
    expect(read('summary.txt')).toBe(r.stdout);
  });

  it('a run with no violation writes an empty violations file', () => {
    const r = cli('analyze', 'tls.pcap', '--rules', BENCH_RULES, '-q', '-o', 'empty.ndjson', '--ndjson-records', 'violations');
    expect(r.code).toBe(0);
    expect(read('empty.ndjson')).toBe('');
  });
});

describe('analyze: the summary of a capture with thousands of unknown peers', () => {
  // A site's uplink audited against the largest shipped profile without an inventory: every flow
  // is an unknown peer, as on the real capture whose summary was 29,587 lines.
  let capture: ManyPeersCapture;
  let run: Run;
  let json: { coverage: unknown[]; verdicts: Record<string, number>; violation_groups: { kind: string; from: string; to: string; protocol: string; port: number; flows: number; peer_addresses: number }[] };

  beforeAll(() => {
    capture = manyPeersCapture();
    write('many-peers.pcap', capture.bytes);
    run = cli('analyze', 'many-peers.pcap', '--rules', 'apigee-hybrid', '-q', '-o', 'many-peers.json');
    json = JSON.parse(read('many-peers.json'));
  }, 60_000);

  it('fits two screens: at most 12 lines, 3 per group shown and 1 per expected connection', () => {
    expect(run.code).toBe(1);
    expect(json.verdicts['unknown-peer']).toBe(capture.connections.length);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(12 + 3 * 15 + json.coverage.length);
    expect(lines.length).toBeLessThanOrEqual(100);
    expect(lines.filter((l) => l.startsWith('  UNKNOWN-PEER  '))).toHaveLength(15);
  });

  it('aggregates unknown peers by name or network and port; the JSON report keeps every group', () => {
    // What the groups should be, from the capture's own list of connections: the server by its SNI
    // where it sent one, else its network; the client by its network.
    const expected = new Map<string, { flows: number; addresses: Set<string> }>();
    for (const c of capture.connections) {
      const key = `${c.clientNetwork} -> ${c.name ?? c.serverNetwork} ${c.port}`;
      const g = expected.get(key) ?? { flows: 0, addresses: new Set<string>() };
      g.flows++;
      g.addresses.add(c.client).add(c.server);
      expected.set(key, g);
    }
    const groups = json.violation_groups;
    expect(new Map(groups.map((g) => [`${g.from} -> ${g.to} ${g.port}`, { flows: g.flows, addresses: g.peer_addresses }]))).toEqual(
      new Map([...expected].map(([key, g]) => [key, { flows: g.flows, addresses: g.addresses.size }])),
    );
    // Thousands of address pairs, a fraction as many groups.
    const pairs = new Set(capture.connections.map((c) => `${c.client} ${c.server} ${c.port}`));
    expect(pairs.size).toBeGreaterThan(4000);
    expect(groups.length).toBeLessThan(pairs.size / 2);
    expect(groups.filter((g) => capture.names.includes(g.to)).length).toBeGreaterThanOrEqual(capture.names.length);
    // The groups with most flows come first, and the summary's last group line is the 15th.
    const shown = run.stdout.split('\n').filter((l) => l.startsWith('  UNKNOWN-PEER  '));
    expect(shown[0]).toBe(`  UNKNOWN-PEER  ${groups[0].from} -> ${groups[0].to} ${groups[0].protocol}/${groups[0].port}: ${groups[0].flows} flows, ${groups[0].peer_addresses} addresses, ${shown[0].split(', ').pop()}`);
    expect(groups[0].flows).toBeGreaterThanOrEqual(groups[14].flows);
    const rest = groups.slice(15);
    expect(run.stdout).toContain(`\n  ... ${rest.length} more groups: unknown-peer ${rest.length} (${rest.reduce((n, g) => n + g.flows, 0)} flows); --max-groups shows more`);
  });

  it('--max-groups raises the cap', () => {
    const r = cli('analyze', 'many-peers.pcap', '--rules', 'apigee-hybrid', '-q', '--max-groups', '40');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('  UNKNOWN-PEER  '))).toHaveLength(40);
    expect(r.stdout).toContain(`\nFindings, most important first (40 of ${json.violation_groups.length} groups):\n`);
    expect(cli('analyze', 'many-peers.pcap', '--rules', 'apigee-hybrid', '--max-groups', '0').stderr).toBe("error: option '--max-groups <n>' argument '0' is invalid. expected a positive whole number\n");
  });
});

describe('analyze: inputs that cannot be used (exit 2, one line, nothing written)', () => {
  const OUTPUTS = ['out.json', 'out.ndjson', 'out.xml'];
  const outputArgs = OUTPUTS.flatMap((o) => ['-o', o]);

  /** Runs analyze expecting exit 2 with exactly `message` on stderr, and checks no output was touched. */
  function fails(args: string[], message: string | RegExp): void {
    for (const o of OUTPUTS) rmSync(join(dir, o), { force: true });
    write('keep.ndjson', 'old report\n');
    const r = cli('analyze', ...args, ...outputArgs, '-o', 'keep.ndjson', '-q');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    if (typeof message === 'string') expect(r.stderr).toBe(`${message}\n`);
    else expect(r.stderr).toMatch(message);
    for (const o of OUTPUTS) expect(existsSync(join(dir, o)), o).toBe(false);
    expect(read('keep.ndjson')).toBe('old report\n');
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  }

  it('a missing rules file', () => {
    fails(['plain.pcap', '--rules', 'nope.yaml'], 'flowaudit: nope.yaml: no such file');
  });

  it('an invalid rules file: FILE:LINE:COL of the offending value', () => {
    const text = NONE_MATRIX.replace('    to: resolver\n', '    to: resolvr\n');
    write('bad-rules.yaml', text);
    const line = text.split('\n').indexOf('    to: resolvr') + 1;
    fails(['plain.pcap', '--rules', 'bad-rules.yaml'], `flowaudit: bad-rules.yaml:${line}:9: connection "clients-to-resolver": to names undefined component "resolvr"`);
  });

  it('a rules file that is not YAML', () => {
    write('broken.yaml', 'apiVersion: flowaudit.dev/v1\nkind: [unclosed\n');
    fails(['plain.pcap', '--rules', 'broken.yaml'], /^flowaudit: broken\.yaml:\d+:\d+: .+\n$/);
  });

  it('a bad inventory', () => {
    write('inv.yaml', 'entries:\n  - name: a\n    addresses: ["10.0.1.0/16"]\n');
    fails(['plain.pcap', '--rules', BENCH_RULES, '-I', 'inv.yaml'], 'flowaudit: inv.yaml:3:17: "10.0.1.0/16" has host bits set: the network is 10.0.0.0/16');
  });

  it('an inventory entry naming a component the matrix does not define', () => {
    write('inv-typo.yaml', 'entries:\n  - name: a\n    addresses: ["10.1.0.1"]\n  - name: b\n    addresses: ["10.2.0.1"]\n    components: [server]\n');
    fails(['plain.pcap', '--rules', BENCH_RULES, '-I', 'inv-typo.yaml'], 'flowaudit: inv-typo.yaml:4:1: entry "b" names component "server", which matrix bench does not define');
  });

  it('a Kubernetes snapshot that is not JSON', () => {
    write('cluster.json', '{"items": [\n  {"kind": "Pod",}\n]}\n');
    fails(['plain.pcap', '--rules', BENCH_RULES, '--k8s-snapshot', 'cluster.json'], /^flowaudit: cluster\.json:2:\d+: JSON: .+\n$/);
  });

  it('a missing capture', () => {
    fails(['missing.pcap', '--rules', BENCH_RULES], 'flowaudit: missing.pcap: no such file');
  });

  it('a capture cut inside a record: the error says what --keep-going would keep', () => {
    const at = cutCapture();
    fails(['plain.pcap', 'cut.pcap', '--rules', BENCH_RULES], `flowaudit: cut.pcap: offset ${at}: file ends inside a record (10 of 16 bytes present); --keep-going keeps the 600 packets before it`);
  });

  it('a file that is no capture: --keep-going suggested only when there are other files to read', () => {
    write('notes.pcap', 'not a capture at all\n');
    fails(['notes.pcap', '--rules', BENCH_RULES], 'flowaudit: notes.pcap: offset 0: not a pcap or pcapng file (magic 0x6e6f7420)');
    fails(['plain.pcap', 'notes.pcap', '--rules', BENCH_RULES], 'flowaudit: notes.pcap: offset 0: not a pcap or pcapng file (magic 0x6e6f7420); --keep-going reads the other files without it');
  });

  it('a bad rules file outranks a damaged capture: the rules are loaded first', () => {
    cutCapture();
    write('bad-rules.yaml', NONE_MATRIX.replace('    to: resolver\n', '    to: resolvr\n'));
    fails(['plain.pcap', 'cut.pcap', '--rules', 'bad-rules.yaml'], /^flowaudit: bad-rules\.yaml:\d+:9: connection "clients-to-resolver": to names undefined component "resolvr"\n$/);
  });

  it('an --output with an unknown extension', () => {
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'report.html'], 'flowaudit: --output report.html: name the format by extension: .txt (text summary), .json (JSON), .ndjson or .jsonl (NDJSON records), .xml (JUnit)');
  });

  it('a report into a directory that does not exist, whatever its kind: said before the capture is read', () => {
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'nodir/x.ndjson'], 'flowaudit: --output nodir/x.ndjson: directory nodir does not exist');
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'nodir/sub/r.json'], 'flowaudit: --output nodir/sub/r.json: directory nodir/sub does not exist');
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'nodir/j.xml'], 'flowaudit: --output nodir/j.xml: directory nodir does not exist');
    fails(['plain.pcap', '--rules', BENCH_RULES, '--metrics-file', 'nodir/audit.prom'], 'flowaudit: --metrics-file nodir/audit.prom: directory nodir does not exist');
    write('a-file', 'x');
    fails(['plain.pcap', '--rules', BENCH_RULES, '--metrics-file', 'a-file/audit.prom'], 'flowaudit: --metrics-file a-file/audit.prom: a-file is not a directory');
  });

  it('a report path that is a directory', () => {
    mkdirSync(join(dir, 'folder.json'), { recursive: true });
    mkdirSync(join(dir, 'folder.ndjson'), { recursive: true });
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'folder.json'], 'flowaudit: --output folder.json: is a directory');
    fails(['plain.pcap', '--rules', BENCH_RULES, '-o', 'folder.ndjson'], 'flowaudit: --output folder.ndjson: is a directory');
  });

  it('with --keep-going a damaged capture is a warning and the reports are written', () => {
    const at = cutCapture();
    const r = cli('analyze', 'cut.pcap', '--rules', 'none.yaml', '-k', '-o', 'kept.ndjson');
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`warning: cut.pcap: offset ${at}: file ends inside a record (10 of 16 bytes present) (kept the 600 packets before it)`);
    const listed = cli('flows', 'cut.pcap', '-k', '-f', 'ndjson').stdout.trimEnd().split('\n');
    expect(read('kept.ndjson').trimEnd().split('\n')).toHaveLength(listed.length);
  });
});

