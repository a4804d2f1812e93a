import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A temp directory for one test file, removed when its tests end. Call at module level:
 * `const temp = tempCaptureDir();` then `temp.write('x.pcap', bytes)` returns the path.
 */
export function tempCaptureDir(): { dir: string; write(name: string, bytes: Buffer): string } {
  const dir = mkdtempSync(join(tmpdir(), 'flowaudit-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name: string, bytes: Buffer): string {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
  };
}
