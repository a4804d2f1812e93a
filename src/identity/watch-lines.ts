/**
 * A watch stream's lines: the API server writes one JSON event per line. Lines are handed on a
 * chunk at a time (the events that arrived together are applied as one batch). A line longer than
 * the bound is skipped to its end and counted, never buffered whole: memory stays bounded whatever
 * the server sends, and the watch goes on past it.
 */
import type { Readable } from 'node:stream';

/**
 * Calls `onLines` with the whole lines of each chunk read and how many lines longer than
 * `maxLineBytes` ended in it (skipped); resolves when the stream ends cleanly (a part line left at
 * the end is handed on as `rest`), rejects when it fails or is cut. `onLines` may throw to stop
 * reading: the stream is destroyed and the promise rejects with its error.
 */
export function readLines(stream: Readable, maxLineBytes: number, onLines: (lines: readonly string[], skipped: number) => void): Promise<{ readonly rest: string }> {
  return new Promise((resolve, reject) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    /** Inside a line past the bound: dropping bytes until its end. */
    let skipping = false;
    let failed = false;
    let ended = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      stream.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      const lines: string[] = [];
      let skipped = 0;
      let start = 0;
      for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
        if (skipping || pendingBytes + end - start > maxLineBytes) skipped++;
        else lines.push(pendingBytes === 0 ? chunk.toString('utf8', start, end) : Buffer.concat([...pending, chunk.subarray(start, end)]).toString('utf8'));
        skipping = false;
        pending = [];
        pendingBytes = 0;
        start = end + 1;
      }
      if (start < chunk.length && !skipping) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) {
          skipping = true;
          pending = [];
          pendingBytes = 0;
        }
      }
      try {
        if (lines.length > 0 || skipped > 0) onLines(lines, skipped);
      } catch (err) {
        fail(err as Error);
      }
    });
    stream.on('end', () => {
      ended = true;
      if (!failed) resolve({ rest: skipping ? '(a line past the bound)' : Buffer.concat(pending).toString('utf8') });
    });
    stream.on('error', (err) => fail(err));
    stream.on('aborted', () => fail(new Error('the connection was cut')));
    stream.on('close', () => {
      if (!ended) fail(new Error('the connection was cut'));
    });
  });
}
