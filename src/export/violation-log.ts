/**
 * The agent's violation log: NDJSON lines appended to a file in batches, at most one flush
 * interval apart, so a kill -9 loses at most that interval's lines (what was written is in the page
 * cache, not in this process). Rotation by size, as logrotate's copy-free scheme does it: the file
 * is renamed to FILE.1 (FILE.1 to FILE.2, ...; the oldest beyond `maxFiles` removed) and a new
 * FILE begins. A line is never split across two files, and never torn: a write the disk cuts
 * short (ENOSPC) is truncated back to its last whole line, so the file always ends with one.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export interface ViolationLogOptions {
  readonly path: string;
  /**
   * A file is rotated before a record would take it past this size, so no file exceeds it (but
   * for a single record longer than the bound, which gets a file of its own).
   */
  readonly maxBytes: number;
  /** Rotated files kept (FILE.1 .. FILE.N). */
  readonly maxFiles: number;
}

export interface ViolationLogStats {
  /** Records wholly in the file. */
  records: number;
  bytes: number;
  rotations: number;
  /** Flushes that failed (disk full, I/O error); the records not written are counted in `lost`. */
  writeErrors: number;
  /** Records added but not in the file: exactly those a failed write did not finish. */
  lost: number;
  lastError?: string;
}

export class ViolationLog {
  readonly stats: ViolationLogStats = { records: 0, bytes: 0, rotations: 0, writeErrors: 0, lost: 0 };
  private fd = -1;
  /** Bytes of whole lines in the file: where the next line starts. */
  private size = 0;
  /** The file may hold bytes past `size` (a cut write whose truncation failed): truncate first. */
  private torn = false;
  private pending: string[] = [];

  constructor(private readonly options: ViolationLogOptions) {
    this.open();
  }

  add(line: string): void {
    this.pending.push(line);
  }

  /**
   * Writes what was added since the last flush, rotating before any record that would not fit.
   * Never throws: when a write fails, the whole lines it got out stay, the partial line is cut off,
   * and the records from there to the end of the batch are counted as lost.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const recordsBefore = this.stats.records;
    try {
      if (this.fd < 0) this.open();
      if (this.torn) this.truncateToWholeLines();
      for (let next = 0; next < lines.length; ) next = this.writeRun(lines, next);
    } catch (err) {
      this.stats.writeErrors++;
      this.stats.lost += lines.length - (this.stats.records - recordsBefore);
      this.stats.lastError = `${this.options.path}: ${(err as Error).message}`;
    }
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Writes lines[first..] that fit in the current file (rotating first if not even the first one
   * does) in one write; returns the index after the last line written. On a failed write, counts
   * the whole lines it got out, cuts off the partial one, and rethrows.
   */
  private writeRun(lines: readonly string[], first: number): number {
    const lengths: number[] = [];
    let runBytes = Buffer.byteLength(lines[first]) + 1;
    if (this.size > 0 && this.size + runBytes > this.options.maxBytes) this.rotate();
    lengths.push(runBytes);
    let end = first + 1;
    for (; end < lines.length; end++) {
      const length = Buffer.byteLength(lines[end]) + 1;
      if (this.size + runBytes + length > this.options.maxBytes) break;
      lengths.push(length);
      runBytes += length;
    }
    const text = Buffer.from(lines.slice(first, end).join('\n') + '\n');
    let written = 0;
    try {
      while (written < text.length) written += writeSync(this.fd, text, written);
    } catch (err) {
      let whole = 0;
      let wholeBytes = 0;
      while (whole < lengths.length && wholeBytes + lengths[whole] <= written) wholeBytes += lengths[whole++];
      this.counted(whole, wholeBytes);
      if (written > wholeBytes) {
        this.torn = true;
        this.truncateToWholeLines();
      }
      throw err;
    }
    this.counted(end - first, text.length);
    return end;
  }

  private counted(records: number, bytes: number): void {
    this.size += bytes;
    this.stats.records += records;
    this.stats.bytes += bytes;
  }

  /** Cuts a partial line off the end of the file (O_APPEND: the next write starts there). */
  private truncateToWholeLines(): void {
    ftruncateSync(this.fd, this.size);
    this.torn = false;
  }

  private open(): void {
    this.fd = openSync(this.options.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    const { path, maxFiles } = this.options;
    closeSync(this.fd);
    this.fd = -1;
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
      // Whatever failed, keep a file to append to (the old one if it could not be moved). If
      // even that fails, the next flush tries again.
      this.open();
    }
  }
}
