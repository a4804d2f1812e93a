/**
 * Progress on long reads: one line on stderr, redrawn in place, only when stderr is a terminal and
 * not with -q. End to end through a pseudo-terminal (util-linux `script`), on input that stalls
 * for three seconds as a slow pipe or a remote capture does; and the line's contents with a clock
 * the test moves.
 */
import { execFile, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptySummary } from '../../src/capture/packet-sink.js';
import { ProgressLine } from '../../src/export/progress-line.js';
import { manyPeersCapture } from '../support/many-peers-capture.js';
import { newTempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const execFileAsync = promisify(execFile);

/** Runs a command to its end; exit codes 0 and 1 (analyze's violations) are both a finished run. */
async function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, { timeout: 60_000, maxBuffer: 64 << 20 });
  } catch (err) {
    const failed = err as { code?: number; stdout: string; stderr: string };
    if (failed.code !== 1) throw err;
    return failed;
  }
}

let dir: string;
let capture: string;
let captureSize: number;

beforeAll(() => {
  dir = newTempDir('progress').path;
  capture = join(dir, 'peers.pcap');
  const bytes = manyPeersCapture().bytes;
  captureSize = bytes.length;
  writeFileSync(capture, bytes);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('ProgressLine', () => {
  it('stays silent for two seconds, then shows bytes of the file size, packets and flows, at most every 250 ms', () => {
    let now = 1000;
    const written: string[] = [];
    const line = new ProgressLine({ write: (t: string) => written.push(t), columns: 200 }, [capture, 'b.pcap'], () => now);
    const summary = emptySummary(capture);
    summary.packets = 100;
    now += 1999;
    line.update(summary, 1024, 10);
    expect(written).toEqual([]);
    now += 1;
    line.update(summary, 512 * 1024, 20);
    const size = (captureSize / 1024 / 1024).toFixed(1);
    const percent = Math.floor((100 * 512 * 1024) / captureSize);
    expect(written).toEqual([`\rreading ${capture} (1 of 2): 512.0 KiB of ${size} MiB (${percent}%), 100 packets, 20 flows\x1b[K`]);
    now += 249;
    line.update(summary, 600 * 1024, 30);
    expect(written).toHaveLength(1);
    now += 1;
    line.update(summary, 600 * 1024, 30);
    expect(written).toHaveLength(2);
    line.clear();
    expect(written[2]).toBe('\r\x1b[K');
  });

  it('without a known size (standard input, gzip) shows the bytes read; cuts the line to the terminal width', () => {
    let now = 0;
    const written: string[] = [];
    const line = new ProgressLine({ write: (t: string) => written.push(t), columns: 40 }, ['-'], () => now);
    const gzip = emptySummary('-');
    gzip.compressed = true;
    now = 5000;
    line.update(gzip, 3 * 1024 * 1024, 7);
    // 39 characters: the cursor must not reach the last column, or some terminals wrap.
    expect(written).toEqual(['\rreading -: 3.0 MiB uncompressed, 0 pack\x1b[K']);
  });

  it('a terminal of unknown width (0 columns) is taken as 80 wide', () => {
    const written: string[] = [];
    let now = 0;
    const line = new ProgressLine({ write: (t: string) => written.push(t), columns: 0 }, ['-'], () => now);
    now = 5000;
    line.update(emptySummary('-'), 1000, 1);
    expect(written).toEqual(['\rreading -: 1000 B, 0 packets, 1 flows\x1b[K']);
  });

  it('clears nothing when it never drew', () => {
    const written: string[] = [];
    const line = new ProgressLine({ write: (t: string) => written.push(t) }, ['-'], () => 0);
    line.clear();
    expect(written).toEqual([]);
  });
});

describe('progress end to end', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  if (!hasScript && process.env.CI === 'true') throw new Error('util-linux script is required with CI=true (apt-get install bsdutils)');

  /** The capture on standard input, its first 300,000 bytes, then the rest after three seconds. */
  const stalled = (command: string): string => `(head -c 300000 '${capture}'; sleep 3; tail -c +300001 '${capture}') | ${command}`;
  const flowaudit = `'${process.execPath}' '${MAIN}'`;
  /** What a terminal shows of `command` run in a pseudo-terminal: its stderr (stdout goes to /dev/null). */
  const inTerminal = async (command: string, stdout = '/dev/null'): Promise<string> => (await run('script', ['-qec', `sh -c "${stalled(command)} > ${stdout}"`, '/dev/null'])).stdout;

  it.skipIf(!hasScript)(
    'a terminal shows it for flows and analyze; a pipe does not, -q does not, nor NDJSON streamed to the terminal',
    async () => {
      const [flows, analyze, quiet, piped, streamed] = await Promise.all([
        inTerminal(`${flowaudit} flows - -f ndjson`),
        inTerminal(`${flowaudit} analyze - --rules apigee-hybrid`),
        inTerminal(`${flowaudit} flows - -f ndjson -q`),
        run('sh', ['-c', `${stalled(`${flowaudit} flows - -f ndjson`)} > /dev/null`]),
        // NDJSON streaming onto the same terminal: no progress line to run into.
        inTerminal(`${flowaudit} flows - -f ndjson`, '/dev/tty'),
      ]);
      expect(flows).toMatch(/\rreading -: \d+\.\d KiB, \d+ packets, \d+ flows\x1b\[K/);
      // Erased before the run's summary.
      expect(flows).toMatch(/\x1b\[K\r\x1b\[K-: pcap, 15300 packets/);
      expect(analyze).toMatch(/\rreading -: \d+\.\d KiB, \d+ packets, \d+ flows\x1b\[K/);
      expect(quiet).toBe('');
      expect(piped.stderr).toMatch(/^-: pcap, 15300 packets/);
      expect(piped.stderr).not.toContain('reading');
      expect(streamed).toContain('{"id":');
      expect(streamed).not.toContain('reading');
    },
    60_000,
  );
});
