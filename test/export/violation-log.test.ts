/**
 * The agent's violation log: batched appends, size rotation that never splits a line and holds
 * the bound per file, failures counted (a disk that fills up: violation-log-full-disk.test.ts).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ViolationLog } from '../../src/export/violation-log.js';
import { newTempDir } from '../support/temp-dir.js';

const dir = () => newTempDir('vlog').path;
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe('ViolationLog', () => {
  it('writes nothing until a flush, then every line added, appending to what the file had', () => {
    const path = join(dir(), 'v.ndjson');
    writeFileSync(path, '{"old":1}\n');
    const log = new ViolationLog({ path, maxBytes: 1 << 20, maxFiles: 2 });
    log.add('{"a":1}');
    log.add('{"b":2}');
    expect(lines(path)).toEqual(['{"old":1}']);
    log.flush();
    expect(lines(path)).toEqual(['{"old":1}', '{"a":1}', '{"b":2}']);
    expect(log.stats).toMatchObject({ records: 2, bytes: 16, rotations: 0, lost: 0 });
    log.close();
  });

  it('rotates by size, keeps maxFiles old files, and never splits a record', () => {
    const path = join(dir(), 'v.ndjson');
    const log = new ViolationLog({ path, maxBytes: 100, maxFiles: 2 });
    const record = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(30) }); // 47 bytes with its newline
    for (let n = 0; n < 10; n++) {
      log.add(record(n));
      log.flush();
    }
    log.close();
    // Two records fit in 100 bytes: files hold [8, 9], [6, 7], [4, 5]; older ones were removed.
    expect(lines(path).map((l) => JSON.parse(l).n)).toEqual([8, 9]);
    expect(lines(`${path}.1`).map((l) => JSON.parse(l).n)).toEqual([6, 7]);
    expect(lines(`${path}.2`).map((l) => JSON.parse(l).n)).toEqual([4, 5]);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(log.stats).toMatchObject({ records: 10, rotations: 4, lost: 0 });
  });

  it('splits a batch larger than the bound across files at record boundaries: no file exceeds it', () => {
    const path = join(dir(), 'v.ndjson');
    const log = new ViolationLog({ path, maxBytes: 100, maxFiles: 5 });
    const record = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(30) }); // 47 bytes with its newline
    log.add(record(0));
    log.flush();
    for (let n = 1; n < 8; n++) log.add(record(n));
    log.flush();
    log.close();
    // The first file had room for one more record; the rest go two to a file.
    expect([`${path}.3`, `${path}.2`, `${path}.1`, path].map((f) => lines(f).map((l) => JSON.parse(l).n))).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    for (const f of [path, `${path}.1`, `${path}.2`, `${path}.3`]) expect(statSync(f).size).toBeLessThanOrEqual(100);
    expect(log.stats).toMatchObject({ records: 8, bytes: 8 * 47, rotations: 3, lost: 0 });
  });

  it('gives a record longer than the bound a file of its own', () => {
    const path = join(dir(), 'v.ndjson');
    const log = new ViolationLog({ path, maxBytes: 20, maxFiles: 5 });
    for (const line of ['{"a":1}', `{"long":"${'y'.repeat(40)}"}`, '{"b":2}']) log.add(line);
    log.close();
    expect([`${path}.2`, `${path}.1`, path].map(lines)).toEqual([['{"a":1}'], [`{"long":"${'y'.repeat(40)}"}`], ['{"b":2}']]);
  });

  it('counts a batch it cannot write instead of throwing, and goes on', () => {
    const log = new ViolationLog({ path: '/dev/full', maxBytes: 1 << 30, maxFiles: 0 });
    log.add('{"a":1}');
    expect(() => log.flush()).not.toThrow();
    expect(log.stats).toMatchObject({ records: 0, writeErrors: 1, lost: 1 });
    expect(log.stats.lastError).toMatch(/^\/dev\/full: ENOSPC/);
    log.close();
  });
});
