import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, TCP_FLAGS, tcp, udp } from '../../src/frame-builder.js';
import { epb, idb, ifTsresol, pcapFile, shb } from '../support/capture-writer.js';
import { tempDir } from '../support/temp-dir.js';

/** The CLI as users run it: built JavaScript in dist/ (npm run build, or npx tsc -p .). */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/bin/flowaudit.js');
const temp = tempDir('capture');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -p .\``);
});

function run(args: string[], input?: Buffer) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** A TCP handshake and a DNS query/answer: two flows whose client and server are known. */
function conversation(): Buffer[] {
  const c2s = (t: Parameters<typeof tcp>[0]) => ethernet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp(t) }), { etherType: ETHERTYPE.Ipv4 });
  const s2c = (t: Parameters<typeof tcp>[0]) => ethernet(ipv4({ src: '10.0.0.2', dst: '10.0.0.1', protocol: 6, payload: tcp(t) }), { etherType: ETHERTYPE.Ipv4 });
  const dns = (src: string, dst: string, sport: number, dport: number) =>
    ethernet(ipv4({ src, dst, protocol: 17, payload: udp({ srcPort: sport, dstPort: dport, payload: Buffer.alloc(30) }) }), { etherType: ETHERTYPE.Ipv4 });
  return [
    c2s({ srcPort: 40000, dstPort: 443, seq: 100, flags: TCP_FLAGS.SYN }),
    s2c({ srcPort: 443, dstPort: 40000, seq: 900, ack: 101, flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK }),
    c2s({ srcPort: 40000, dstPort: 443, seq: 101, ack: 901, flags: TCP_FLAGS.ACK }),
    dns('10.0.0.1', '10.0.0.53', 5353, 53),
    dns('10.0.0.53', '10.0.0.1', 53, 5353),
  ];
}

const asPcap = (): Buffer => pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, conversation().map((data, i) => ({ seconds: 1_700_000_000, fraction: i * 1000, data })));
const asPcapng = (): Buffer =>
  Buffer.concat([
    shb('be'),
    idb('be', { linkType: LINKTYPE.Ethernet, options: [ifTsresol(9)] }),
    ...conversation().map((data, i) => epb('be', { timestamp: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, data })),
  ]);

interface FlowsJson {
  flows: { protocol: string; client: { address: string; port: number }; server: { address: string; port: number }; to_server: { packets: number }; to_client: { packets: number } }[];
  run: { captures: { file: string; format: string; compressed: boolean; packets: number }[]; decode: Record<string, number> };
}

function expectConversation(stdout: string, capture: { format: string; compressed: boolean }): void {
  const json = JSON.parse(stdout) as FlowsJson;
  expect(json.run.captures).toHaveLength(1);
  expect(json.run.captures[0]).toMatchObject({ file: '-', ...capture, packets: 5 });
  expect(json.run.decode).toEqual({ ok: 5 });
  const flows = json.flows.map((f) => [f.protocol, `${f.client.address}:${f.client.port}`, `${f.server.address}:${f.server.port}`, f.to_server.packets, f.to_client.packets]);
  expect(flows).toEqual([
    ['tcp', '10.0.0.1:40000', '10.0.0.2:443', 2, 1],
    ['udp', '10.0.0.1:5353', '10.0.0.53:53', 1, 1],
  ]);
}

describe('flows from standard input', () => {
  it.each([
    ['pcap', false, asPcap],
    ['pcapng', false, asPcapng],
    ['pcap', true, asPcap],
    ['pcapng', true, asPcapng],
  ] as const)('reads a %s capture piped in (gzip %s)', (format, gzip, build) => {
    const bytes = gzip ? gzipSync(build()) : build();
    const { status, stdout, stderr } = run(['flows', '-', '-f', 'json', '--quiet'], bytes);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expectConversation(stdout, { format, compressed: gzip });
  });

  it('reads input larger than a pipe buffer and the read chunk, plain and gzip', () => {
    // 50 000 datagrams of one UDP flow: megabytes of input, one line of output.
    const datagram = ethernet(ipv4({ src: '10.9.0.1', dst: '10.9.0.2', protocol: 17, payload: udp({ srcPort: 9999, dstPort: 514, payload: Buffer.alloc(60, 1) }) }), { etherType: ETHERTYPE.Ipv4 });
    const bytes = pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, Array.from({ length: 50_000 }, (_, i) => ({ seconds: 1_700_000_000, fraction: i, data: datagram })));
    expect(bytes.length).toBeGreaterThan(4 << 20);
    for (const input of [bytes, gzipSync(bytes, { level: 1 })]) {
      const { status, stdout } = run(['flows', '-', '-f', 'json', '--quiet'], input);
      expect(status).toBe(0);
      const json = JSON.parse(stdout) as FlowsJson;
      expect(json.run.captures[0].packets).toBe(50_000);
      expect(json.flows.map((f) => f.to_server.packets + f.to_client.packets)).toEqual([50_000]);
    }
  });

  it('tells gzip from a capture even when the input is one or two bytes long', () => {
    expect(run(['flows', '-'], Buffer.from([0x1f])).stderr).toBe('flowaudit: -: offset 0: file too short to be a capture (1 bytes)\n');
    expect(run(['flows', '-'], Buffer.from([0x1f, 0x8b])).stderr).toBe('flowaudit: -: decompressed offset 0, compressed offset 2: gzip stream: unexpected end of file\n');
    expect(run(['flows', '-'], Buffer.from('ab')).stderr).toBe('flowaudit: -: offset 0: file too short to be a capture (2 bytes)\n');
  });

  it('reports damage in piped input as one line with the offset, exit 2', () => {
    const bytes = asPcap().subarray(0, 30);
    const { status, stdout, stderr } = run(['flows', '-', '-f', 'json'], bytes);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('flowaudit: -: offset 24: file ends inside a record (6 of 16 bytes present)\n');
  });

  it('reports empty input as one line, exit 2', () => {
    const { status, stderr } = run(['flows', '-'], Buffer.alloc(0));
    expect(status).toBe(2);
    expect(stderr).toBe('flowaudit: -: offset 0: file too short to be a capture (0 bytes)\n');
  });
});

describe('flows from pipes that are not standard input', () => {
  it.each([false, true])('reads a process substitution, <(cat FILE) (gzip %s)', (gzip) => {
    const path = temp.write(`substituted-${gzip}.pcapng`, gzip ? gzipSync(asPcapng()) : asPcapng());
    const result = spawnSync('bash', ['-c', 'exec "$0" "$1" flows <(cat "$2") -f json --quiet', process.execPath, CLI, path], { cwd: ROOT, timeout: 30_000 });
    expect(result.stderr.toString()).toBe('');
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout.toString()) as FlowsJson;
    expect(json.run.captures[0].file).toMatch(/^\/dev\/fd\/\d+$/);
    expect(json.run.captures[0]).toMatchObject({ format: 'pcapng', compressed: gzip, packets: 5 });
    expect(json.flows).toHaveLength(2);
  });
});

describe('flows from damaged or missing files', () => {
  it('prints one line `flowaudit: FILE: offset N: reason` on stderr and exits 2, never a stack trace', () => {
    const good = asPcapng();
    const bad = Buffer.from(good);
    // Damage the trailing length of the last EPB.
    bad.writeUInt32BE(0xdead, bad.length - 4);
    const path = temp.write('bad.pcapng', bad);
    const { status, stdout, stderr } = run(['flows', path]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`flowaudit: ${path}: offset ${bad.length - 4}: block trailing length 57005 differs from its leading length ${epb('be', { data: conversation()[4] }).length}; --keep-going keeps the 4 packets before it\n`);
  });

  it('reports a gzip stream cut short as one line, exit 2', () => {
    const gz = gzipSync(asPcap());
    const path = temp.write('cut.pcap.gz', gz.subarray(0, gz.length - 12));
    const { status, stderr } = run(['flows', path]);
    expect(status).toBe(2);
    expect(stderr).toMatch(new RegExp(`^flowaudit: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: decompressed offset \\d+, compressed offset ${gz.length - 12}: gzip stream: unexpected end of file; --keep-going keeps the 4 packets before it\\n$`));
  });

  it('with --keep-going, keeps the packets before the damage and warns once', () => {
    const bytes = Buffer.concat([asPcap(), Buffer.alloc(5)]);
    const path = temp.write('tail.pcap', bytes);
    const { status, stdout, stderr } = run(['flows', path, '-f', 'json', '--keep-going', '--quiet']);
    expect(status).toBe(0);
    expect((JSON.parse(stdout) as FlowsJson).flows).toHaveLength(2);
    expect(stderr).toBe(`warning: ${path}: offset ${bytes.length - 5}: file ends inside a record (5 of 16 bytes present) (kept the 5 packets before it)\n`);
  });

  it('reports a directory as one line, exit 2', () => {
    const { status, stdout, stderr } = run(['flows', temp.path]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`flowaudit: ${temp.path}: is a directory, not a capture file\n`);
  });

  it('reports a missing file as one line, exit 2', () => {
    const path = join(temp.path, 'no-such.pcap');
    const { status, stdout, stderr } = run(['flows', path]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`flowaudit: ${path}: no such file\n`);
  });

  it('reports a bad option value as one line, exit 2', () => {
    const { status, stdout, stderr } = run(['flows', '-f', 'xml', 'x.pcap']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`error: option '-f, --format <format>' argument 'xml' is invalid. expected table, json or ndjson\n`);
  });
});

describe('flows to a reader that stops early', () => {
  it('ends quietly with exit 0 when the pipe closes (`| head`), not with a write error', () => {
    // About 400 flows: NDJSON well past a pipe buffer, so writes go on after head has left.
    const capture = join(temp.path, 'many-flows.pcap');
    spawnSync(process.execPath, [join(ROOT, 'bench/generate-capture.mjs'), capture, '--packets', '20000'], { timeout: 30_000 });
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" flows -f ndjson "${capture}" | head -c 64; echo " status=\${PIPESTATUS[0]}"`], { timeout: 30_000 });
    const [head, status] = result.stdout.toString().split(' status=');
    expect(head).toMatch(/^\{"id":\d+,"community_id":"1:/);
    expect(status.trim()).toBe('0');
    expect(result.stderr.toString()).toBe('');
  });
});
