/**
 * The agent's violation log: NDJSON lines appended to a file in batches, at most one flush
 * interval apart, so a kill -9 loses at most that interval's lines (what was written is in the page
 * cache, not in this process). Rotation by size, as logrotate's copy-free scheme does it: the file
 * is renamed to FILE.1 (FILE.1 to FILE.2, ...; the oldest beyond `maxFiles` removed) and a new
 * FILE begins. A line is never split across two files.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface ViolationLogOptions {
  readonly path: string;
  /** Rotate before a batch would take the file past this size. */
  readonly maxBytes: number;
  /** Rotated files kept (FILE.1 .. FILE.N). */
  readonly maxFiles: number;
}

export interface ViolationLogStats {
  records: number;
  bytes: number;
  rotations: number;
  /** Batches that could not be written (disk full, I/O error); their records are counted in `lost`. */
  writeErrors: number;
  lost: number;
  lastError?: string;
}

export class ViolationLog {
  readonly stats: ViolationLogStats = { records: 0, bytes: 0, rotations: 0, writeErrors: 0, lost: 0 };
  private fd: number;
  private size: number;
  private pending: string[] = [];

  constructor(private readonly options: ViolationLogOptions) {
    this.fd = openSync(options.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  add(line: string): void {
    this.pending.push(line);
  }

  /** Writes what was added since the last flush. Never throws: a failed write is counted. */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const text = Buffer.from(lines.join('\n') + '\n');
    try {
      if (this.size > 0 && this.size + text.length > this.options.maxBytes) this.rotate();
      let written = 0;
      while (written < text.length) written += writeSync(this.fd, text, written);
      this.size += text.length;
      this.stats.records += lines.length;
      this.stats.bytes += text.length;
    } catch (err) {
      this.stats.writeErrors++;
      this.stats.lost += lines.length;
      this.stats.lastError = `${this.options.path}: ${(err as Error).message}`;
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private rotate(): void {
    const { path, maxFiles } = this.options;
    closeSync(this.fd);
    try {
      rmSync(`${path}.${maxFiles}`, { force: true });
      for (let n = maxFiles - 1; n >= 1; n--) {
        try {
          renameSync(`${path}.${n}`, `${path}.${n + 1}`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      if (maxFiles > 0) renameSync(path, `${path}.1`);
      else rmSync(path, { force: true });
      this.stats.rotations++;
    } finally {
      // Whatever failed, keep a file to append to (the old one if it could not be moved).
      this.fd = openSync(path, 'a');
      this.size = fstatSync(this.fd).size;
    }
  }
}
