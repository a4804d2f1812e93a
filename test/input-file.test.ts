import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT_FILES, InputFileError, readAtMost, readInputFile, type InputFileKind } from '../src/input-file.js';
import { tempDir } from './support/temp-dir.js';

const dir = tempDir('input-file').path;

const SMALL: InputFileKind = { what: 'a test file', maxBytes: 1000 };

/** The one-line error reading `path` as `kind` throws. */
function errorOf(path: string, kind: InputFileKind = SMALL): InputFileError {
  try {
    readInputFile(path, kind, 'shown');
  } catch (err) {
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).not.toContain('\n');
    return err as InputFileError;
  }
  throw new Error(`${path} was read`);
}

describe('readInputFile', () => {
  it('reads a regular file whole, up to its limit', () => {
    const file = join(dir, 'exact.txt');
    writeFileSync(file, 'x'.repeat(1000));
    expect(readInputFile(file, SMALL).length).toBe(1000);
  });

  it('refuses a file larger than the limit by its size, before reading it', () => {
    const file = join(dir, 'sparse.bin');
    writeFileSync(file, '');
    truncateSync(file, 2 ** 40); // 1 TiB, sparse: reading it would never end
    const err = errorOf(file, INPUT_FILES.rules);
    expect(err.message).toBe(`shown: is ${2 ** 40} bytes; the limit for a rules file is 1048576 bytes (1 MiB)`);
  });

  it('refuses devices, FIFOs, directories and sockets by their type, at once', () => {
    expect(errorOf('/dev/zero').message).toBe('shown: is a character device, not a regular file: a test file must be a regular file');
    expect(errorOf(dir).detail).toMatch(/^is a directory, not a regular file/);
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading waits for a writer unless opened non-blocking: this returns at once.
    expect(errorOf(fifo).detail).toMatch(/^is a FIFO \(named pipe\), not a regular file/);
  });

  it.skipIf(!existsSync('/proc/self/environ'))('refuses /proc files, which say they are regular and empty', () => {
    const err = errorOf('/proc/self/environ');
    expect(err.detail).toBe('is a /proc file, not a regular file: a test file must be a regular file');
    const link = join(dir, 'environ.yaml');
    execFileSync('ln', ['-s', '/proc/self/environ', link]);
    expect(errorOf(link).detail).toMatch(/^is a \/proc file/);
  });

  it('names a missing file with its errno code', () => {
    const err = errorOf(join(dir, 'absent.yaml'));
    expect(err.message).toBe('shown: no such file');
    expect(err.code).toBe('ENOENT');
  });
});

describe('readAtMost: a file whose size lied', () => {
  it('reads at most the limit plus one byte, whatever fstat said', () => {
    const file = join(dir, 'liar.bin');
    const bytes = Buffer.alloc(300_000, 0).map((_, i) => i % 251);
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r');
    try {
      const kind: InputFileKind = { what: 'a test file', maxBytes: 100_000 };
      // A stated size of 0, as /proc files state: the reader grows its buffer and stops at the limit.
      expect(() => readAtMost(fd, 0, kind, (m) => new Error(m))).toThrow('holds more than 100000 bytes; the limit for a test file is 100000 bytes');
      const next = Buffer.alloc(1);
      readSync(fd, next, 0, 1, null);
      expect(next[0]).toBe(bytes[100_001]);
    } finally {
      closeSync(fd);
    }
  });

  it('reads a file longer than stated to its end when it stays within the limit', () => {
    const file = join(dir, 'longer.bin');
    writeFileSync(file, Buffer.alloc(200_000, 7));
    const fd = openSync(file, 'r');
    try {
      expect(readAtMost(fd, 10, { what: 'a test file', maxBytes: 200_000 }, (m) => new Error(m)).equals(Buffer.alloc(200_000, 7))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});
