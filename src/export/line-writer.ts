import { once } from 'node:events';
import { writeSync } from 'node:fs';

const LINE_BATCH_BYTES = 1 << 16;

/**
 * Collects NDJSON lines and writes them in 64 KiB batches: one write per batch, not per line, to
 * stdout or to an open file descriptor. Stdout to a file or pipe writes synchronously on Linux, so
 * batches need no await; `end` waits for the last one to drain.
 */
export class LineWriter {
  private lines: string[] = [];
  private size = 0;

  /** @param fd a file descriptor to write to instead of stdout */
  constructor(readonly fd?: number) {}

  add(line: string): void {
    this.lines.push(line);
    this.size += line.length + 1;
    if (this.size >= LINE_BATCH_BYTES) this.writeBatch();
  }

  async end(): Promise<void> {
    if (this.lines.length > 0 && !this.writeBatch()) await once(process.stdout, 'drain');
  }

  private writeBatch(): boolean {
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    this.size = 0;
    if (this.fd === undefined) return process.stdout.write(text);
    writeSync(this.fd, text);
    return true;
  }
}
