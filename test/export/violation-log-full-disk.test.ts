/**
 * The violation log on a disk that fills up: a 64 KiB tmpfs of our own, mostly taken by a filler
 * file (6 of its 16 pages), so writes fail part-way: tmpfs hands out whole 4 KiB pages, and a
 * write that needs a page it cannot have stops at the page boundary, mid-line. Needs root (mount); without it the test skips and says why, with CI=true
 * it fails instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationLog } from '../../src/export/violation-log.js';
import { gate } from '../support/tshark.js';
import { newTempDir } from '../support/temp-dir.js';

/** Not a multiple of the 4 KiB page, so the disk runs out in the middle of a file. */
const MAX_BYTES = 10_000;
const MAX_FILES = 8; // more than fit on the tmpfs: no record is removed by rotation

function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (mounts a 64 KiB tmpfs)';
  return null;
}

const reason = tmpfsUnavailable();
const fullDisk = gate(reason);

/** The log's files, newest first: FILE, FILE.1, ... */
function logFiles(path: string): string[] {
  return [path, ...Array.from({ length: MAX_FILES }, (_, i) => `${path}.${i + 1}`)].filter((f) => existsSync(f));
}

/** Checks every file holds whole JSON lines within the bound; returns the sequence numbers in them. */
function recordsOnDisk(path: string): number[] {
  const seqs: number[] = [];
  for (const file of logFiles(path)) {
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).size, `${file} within the rotation bound`).toBeLessThanOrEqual(MAX_BYTES);
    if (text === '') continue;
    expect(text.endsWith('\n'), `${file} ends with a whole line`).toBe(true);
    for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
      let record: { seq: number };
      try {
        record = JSON.parse(line) as { seq: number };
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON: ${line.slice(0, 80)}`);
      }
      seqs.push(record.seq);
    }
  }
  return seqs;
}

describe.skipIf(fullDisk.skip)(`violation log on a full 64 KiB tmpfs${fullDisk.suffix}`, () => {
  let mountPoint = '';
  let log: ViolationLog | undefined;

  beforeAll(() => {
    if (reason !== null) return;
    mountPoint = newTempDir('h-vlog').path;
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`mount -t tmpfs: ${mount.stderr.trim()}`);
  });

  afterAll(() => {
    if (mountPoint === '') return;
    log?.close(); // its descriptor would keep the tmpfs busy
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('never tears a record, counts exactly the records lost, holds the size bound, and resumes when space returns', () => {
    fullDisk.assertAvailable();
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(24 << 10)); // 6 pages: 10 left, three files and a third of one
    const path = join(mountPoint, 'violations.ndjson');
    const vlog = new ViolationLog({ path, maxBytes: MAX_BYTES, maxFiles: MAX_FILES });
    log = vlog;
    let added = 0;
    // Records of 60 to 460 bytes, batches of 1 to 48 (some larger than the bound): batches
    // straddle both the rotation bound and the page where the disk runs out.
    const addBatch = (size: number) => {
      for (let i = 0; i < size; i++, added++) vlog.add(JSON.stringify({ seq: added, pad: 'x'.repeat(40 + ((added * 37) % 400)) }));
      vlog.flush();
    };
    let failedFlushes = 0;
    let partialFlushes = 0;
    for (let batch = 0; batch < 400 && failedFlushes < 20; batch++) {
      const before = { ...vlog.stats };
      addBatch(1 + ((batch * 7) % 48));
      if (vlog.stats.lost > before.lost) failedFlushes++;
      if (vlog.stats.lost > before.lost && vlog.stats.records > before.records) partialFlushes++;
      const onDisk = recordsOnDisk(path);
      expect(vlog.stats.records, 'records counted as written are the records in the files').toBe(onDisk.length);
      expect(vlog.stats.lost, 'lost = added - in the files').toBe(added - onDisk.length);
    }
    expect(failedFlushes, 'the disk filled up').toBe(20);
    expect(vlog.stats.writeErrors).toBeGreaterThan(0);
    expect(vlog.stats.lastError).toMatch(/violations\.ndjson: ENOSPC/);
    expect(existsSync(`${path}.${MAX_FILES}`), 'no file was rotated away').toBe(false);
    expect(partialFlushes, 'a batch was cut by the full disk, its whole lines kept').toBeGreaterThan(0);
    expect(vlog.stats.rotations).toBeGreaterThan(0);
    const seqs = recordsOnDisk(path);
    expect(new Set(seqs).size, 'no record twice').toBe(seqs.length);

    // Space returns: the next batch is written whole.
    rmSync(filler);
    const lostBefore = vlog.stats.lost;
    const first = added;
    addBatch(10);
    const after = recordsOnDisk(path);
    expect(vlog.stats.lost).toBe(lostBefore);
    expect(after.filter((seq) => seq >= first).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => first + i));
    expect(vlog.stats.records).toBe(after.length);
  });
});
