import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_INTERFACES, MAX_RESOLVED_NAME_BYTES, MAX_RESOLVED_NAMES } from '../../src/capture/pcapng-reader.js';
import { ethernet, ETHERTYPE, ipv4, LINKTYPE, TCP_FLAGS, tcp, u16 } from '../../src/frame-builder.js';
import { epb, idb, nrb, pcapFile, pcapngBlock, shb } from '../support/capture-writer.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Every capture shape issue 13 found hostile, run through the real CLI (`flows` in each format
 * and `analyze`) with a 64 MB V8 heap: each must end in exit 2 with one line naming the file and
 * the offset, or in a normal exit with the outcome counted, and never in a stack trace or an
 * out-of-memory abort.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/bin/flowaudit.js');
const HEAP_LIMIT = '--max-old-space-size=64';
const temp = tempDir('capture');

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npm run build\``);
});

const COMMANDS: readonly (readonly string[])[] = [
  ['flows', '-f', 'table'],
  ['flows', '-f', 'json'],
  ['flows', '-f', 'ndjson'],
  // Every report format too: each writes packet times as text or numbers.
  ['analyze', '--rules', 'apigee-hybrid-1.4', ...['report.json', 'flows.ndjson', 'junit.xml'].flatMap((f) => ['--output', join(temp.path, f)]), '--metrics-file', join(temp.path, 'audit.prom')],
];

/** Writes each hostile file once, however many commands read it. */
const written = new Map<string, string>();
function hostileFile(name: string, bytes: () => Buffer): string {
  let path = written.get(name);
  if (path === undefined) written.set(name, (path = temp.write(name, bytes())));
  return path;
}

function run(command: readonly string[], path: string) {
  const result = spawnSync(process.execPath, [HEAP_LIMIT, CLI, ...command, path], { cwd: ROOT, timeout: 60_000, maxBuffer: 64 << 20 });
  return { status: result.status, signal: result.signal, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

const syn = ethernet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 });
const head = Buffer.concat([shb('le'), idb('le', { linkType: LINKTYPE.Ethernet })]);

/** `count` copies of `block` in one buffer, without an array of millions of Buffers. */
function repeated(block: Buffer, count: number): Buffer {
  return Buffer.alloc(block.length * count).fill(block);
}

function pcapWithVersion(major: number, minor: number): Buffer {
  const bytes = pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, [{ seconds: 1_700_000_000, fraction: 0, data: syn }]);
  bytes.writeUInt16LE(major, 4);
  bytes.writeUInt16LE(minor, 6);
  return bytes;
}

/** An IDB whose if_name option claims 200 bytes where 4 are left. */
const idbOptionOverrun = pcapngBlock('le', 1, Buffer.concat([u16(LINKTYPE.Ethernet, 'le'), u16(0, 'le'), Buffer.alloc(4), u16(2, 'le'), u16(200, 'le'), Buffer.from('eth0')]));
const epbOptionOverrun = pcapngBlock('le', 6, Buffer.concat([epb('le', { data: syn }).subarray(8, -4), u16(1, 'le'), u16(100, 'le'), Buffer.from('abcd')]));
const gzipped = gzipSync(pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, [{ seconds: 1_700_000_000, fraction: 0, data: syn }]));

interface Refused {
  readonly name: string;
  readonly bytes: () => Buffer;
  /** The whole stderr line after `flowaudit: PATH: `. */
  readonly message: string;
}

const refused: Refused[] = [
  {
    name: 'millions-of-interfaces.pcapng.gz',
    // 2,000,000 IDBs: 40 MB that gzip to under 100 KB; the interface table stops at the limit.
    bytes: () => gzipSync(Buffer.concat([shb('le'), repeated(idb('le', { linkType: LINKTYPE.Ethernet }), 2_000_000)])),
    message: `decompressed offset ${shb('le').length + 20 * MAX_INTERFACES}: interface description block beyond the limit of ${MAX_INTERFACES} interfaces per file`,
  },
  { name: 'archaic-version.pcap', bytes: () => pcapWithVersion(1, 0), message: 'offset 4: pcap version 1.0 is older than 2.0, which libpcap and tshark refuse' },
  { name: 'idb-option-overrun.pcapng', bytes: () => Buffer.concat([shb('le'), idbOptionOverrun]), message: `offset ${shb('le').length + 16}: option 2 of length 200 runs past the end of its block (4 bytes left)` },
  { name: 'epb-option-overrun.pcapng', bytes: () => Buffer.concat([head, epbOptionOverrun]), message: `offset ${head.length + epbOptionOverrun.length - 12}: option 1 of length 100 runs past the end of its block (4 bytes left)` },
  {
    name: 'cut-gzip.pcap.gz',
    bytes: () => gzipped.subarray(0, gzipped.length - 8),
    message: `decompressed offset ${24 + 16 + syn.length}, compressed offset ${gzipped.length - 8}: gzip stream: unexpected end of file; --keep-going keeps the packet before it`,
  },
];

interface Counted {
  readonly name: string;
  readonly bytes: () => Buffer;
  /** A line the run summary prints on stderr (PATH stands for the file). */
  readonly line: string;
  /** Flows the good packets make. */
  readonly flows: number;
}

/** NRBs naming 1,500 addresses with 60,000 bytes of name each: 90 MB of text, kept up to the bound. */
const bigNames = Array.from({ length: 1_500 }, (_, n) => nrb('le', [{ ipv4: `10.0.${n >> 8}.${n & 255}`, names: ['x'.repeat(60_000)] }]));
const bigNamesKept = Math.floor(MAX_RESOLVED_NAME_BYTES / 60_001);

const counted: Counted[] = [
  {
    name: 'far-timestamp.pcapng',
    // High word 0x7ffffffc in microseconds: the year 294247, past what a Date can hold.
    bytes: () => Buffer.concat([head, epb('le', { timestamp: 1_700_000_000_000_000n, data: syn }), epb('le', { timestamp: 0x7ffffffcn << 32n, data: syn })]),
    line: 'flows: 1 (peak live 1, evicted 0, port reuse 0, active-timeout splits 0); not decoded: timestamp-out-of-range=1',
    flows: 1,
  },
  { name: 'version-3.0.pcap', bytes: () => pcapWithVersion(3, 0), line: 'warning: PATH: offset 4: pcap version 3.0 is not 2.4 (read as 2.4, as tshark does; tcpdump refuses it)', flows: 1 },
  {
    name: 'caplen-beyond-len.pcap',
    bytes: () => pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, [1, 2].map(() => ({ seconds: 1_700_000_000, fraction: 0, data: syn, originalLength: 20 }))),
    line: `warning: PATH: offset 24: captured length ${syn.length} exceeds the original length 20 (and 1 more like it)`,
    flows: 1,
  },
  {
    name: 'many-sections.pcapng.gz',
    // 1,000,000 sections of one interface each: the reader holds one section at a time, and the
    // interfaces stop at the per-file limit.
    bytes: () => gzipSync(repeated(head, 1_000_000)),
    line: `warning: PATH: decompressed offset ${head.length * MAX_INTERFACES + shb('le').length}: interface description block beyond the limit of ${MAX_INTERFACES} interfaces per file (kept the 0 packets before it)`,
    flows: 0,
  },
  {
    name: 'name-bomb.pcapng.gz',
    bytes: () => gzipSync(Buffer.concat([head, ...bigNames, epb('le', { timestamp: 1_700_000_000_000_000n, data: syn })])),
    line: `warning: PATH: decompressed offset ${head.length + bigNames[0].length * bigNamesKept + 8}: name resolution entries past ${MAX_RESOLVED_NAMES} addresses or 16 MiB of names are counted, not kept (and ${bigNames.length - bigNamesKept - 1} more like it)`,
    flows: 1,
  },
];

function expectNoCrash(r: ReturnType<typeof run>): void {
  expect(r.signal).toBeNull();
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |heap out of memory|FATAL/);
}

describe.each(COMMANDS)('%s %s %s on hostile captures, in a 64 MB heap', (...command: string[]) => {
  it.each(refused)('$name: exit 2, one line naming the file and the offset', ({ name, bytes, message }) => {
    const path = hostileFile(name, bytes);
    const r = run(command, path);
    expectNoCrash(r);
    expect(r.stderr).toBe(`flowaudit: ${path}: ${message}\n`);
    expect(r.status).toBe(2);
  });

  it.each(counted)('$name: a normal exit with the outcome counted', ({ name, bytes, line, flows }) => {
    const path = hostileFile(name, bytes);
    // The many-sections file is read past its damage with --keep-going; the others need nothing.
    const r = run(name.startsWith('many-sections') ? [...command, '--keep-going'] : command, path);
    expectNoCrash(r);
    expect(r.stderr.split('\n')).toContain(line.replace('PATH', path));
    // analyze fails the audit either way: these flows reach unknown peers, and without flows
    // every required connection is silent.
    expect(r.status).toBe(command[0] === 'analyze' ? 1 : 0);
    if (command[0] === 'flows' && command[2] === 'ndjson') expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(flows);
  });
});
