/** The agent's violation log: batched appends, size rotation that never splits a line, failures counted. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ViolationLog } from '../../src/export/violation-log.js';

const dir = () => mkdtempSync(join(tmpdir(), 'fa-vlog-'));
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

  it('rotates by size, keeps maxFiles old files, and never splits a batch', () => {
    const path = join(dir(), 'v.ndjson');
    const log = new ViolationLog({ path, maxBytes: 100, maxFiles: 2 });
    const record = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(30) }); // 48 bytes with its newline
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

  it('counts a batch it cannot write instead of throwing, and goes on', () => {
    const log = new ViolationLog({ path: '/dev/full', maxBytes: 1 << 30, maxFiles: 0 });
    log.add('{"a":1}');
    expect(() => log.flush()).not.toThrow();
    expect(log.stats).toMatchObject({ records: 0, writeErrors: 1, lost: 1 });
    expect(log.stats.lastError).toMatch(/^\/dev\/full: ENOSPC/);
    log.close();
  });
});
