/**
 * A watch stream's lines: the API server writes one JSON event per line. Lines are handed on a
 * chunk at a time (the events that arrived together are applied as one batch), and a line longer
 * than the bound stops the stream rather than growing a buffer without end.
 */
import type { Readable } from 'node:stream';

/**
 * Calls `onLines` with the whole lines of each chunk read; resolves when the stream ends cleanly
 * (a part line left at the end is handed on as `rest`), rejects when it fails or is cut, or when a
 * line exceeds `maxLineBytes`. `onLines` may throw to stop reading: the stream is destroyed and the
 * promise rejects with its error.
 */
export function readLines(stream: Readable, maxLineBytes: number, onLines: (lines: readonly string[]) => void): Promise<{ readonly rest: string }> {
  return new Promise((resolve, reject) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
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
      let start = 0;
      for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
        const part = chunk.subarray(start, end);
        lines.push(pendingBytes === 0 ? part.toString('utf8') : Buffer.concat([...pending, part]).toString('utf8'));
        pending = [];
        pendingBytes = 0;
        start = end + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
      }
      if (pendingBytes > maxLineBytes) return fail(new Error(`an event longer than ${maxLineBytes} bytes`));
      try {
        if (lines.length > 0) onLines(lines);
      } catch (err) {
        fail(err as Error);
      }
    });
    stream.on('end', () => {
      ended = true;
      if (!failed) resolve({ rest: Buffer.concat(pending).toString('utf8') });
    });
    stream.on('error', (err) => fail(err));
    stream.on('aborted', () => fail(new Error('the connection was cut')));
    stream.on('close', () => {
      if (!ended) fail(new Error('the connection was cut'));
    });
  });
}
