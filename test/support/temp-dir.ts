/**
 * The tests' one temp-directory helper: a fresh directory under the system's temp dir, files
 * written into it by name, and its removal.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

export interface TempDir {
  readonly path: string;
  /** The absolute path of `name` in the directory; nothing is written. */
  file(name: string): string;
  /** Writes `content` to `name` (sub-directories made) and returns its absolute path. */
  write(name: string, content: string | Uint8Array): string;
  remove(): void;
}

/**
 * A directory for the test file (or describe block) that calls this while its tests are
 * collected, removed when they have run.
 */
export function tempDir(prefix = 'test'): TempDir {
  const dir = newTempDir(prefix);
  afterAll(() => dir.remove());
  return dir;
}

/** A directory made now, for a test or hook that makes its own: it removes it with remove(). */
export function newTempDir(prefix = 'test'): TempDir {
  const path = mkdtempSync(join(tmpdir(), `flowaudit-${prefix}-`));
  return {
    path,
    file: (name) => join(path, name),
    write(name, content) {
      const file = join(path, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
