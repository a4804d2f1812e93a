import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A scratch directory for this test file, removed when the file's tests end. */
export function scratchDir(): { path: string; write(name: string, content: string | Buffer): string } {
  const path = mkdtempSync(join(tmpdir(), 'flowaudit-identity-'));
  afterAll(() => rmSync(path, { recursive: true, force: true }));
  return {
    path,
    write(name, content) {
      const file = join(path, name);
      writeFileSync(file, content);
      return file;
    },
  };
}
