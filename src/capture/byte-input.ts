import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CaptureFormatError } from './capture-error.js';

/**
 * A source of bytes that a capture reader pulls from in large chunks. Files are read straight
 * into the reader's own buffer (no intermediate copy); streams (stdin, gunzip) copy each chunk once.
 */
export interface ByteInput {
  /** The name used in error messages: the path, or "-" for standard input. */
  readonly name: string;
  /** True when the bytes are being gunzipped on the way in. */
  readonly compressed: boolean;
  /** Reads up to `length` bytes into `target` at `targetOffset`; resolves to 0 only at the end. */
  read(target: Buffer, targetOffset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * A regular file, read synchronously: a blocking read of a few MiB from the page cache costs less
 * than the thread-pool round trip of an async one (measured in bench/RESULTS.md), and offline
 * reading has nothing else to do meanwhile.
 */
class FileInput implements ByteInput {
  readonly compressed = false;
  constructor(readonly name: string, private readonly fd: number) {}

  async read(target: Buffer, targetOffset: number, length: number): Promise<number> {
    return readSync(this.fd, target, targetOffset, length, null);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

/** Adapts a Node stream (stdin, a gunzip transform) to pull-style reads. */
class StreamInput implements ByteInput {
  private readonly chunks: AsyncIterator<Buffer>;
  private chunk: Buffer | null = null;
  private chunkPos = 0;
  /** Bytes handed out so far: the offset a stream error is reported at. */
  private delivered = 0;

  constructor(readonly name: string, private readonly stream: Readable, readonly compressed: boolean) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async read(target: Buffer, targetOffset: number, length: number): Promise<number> {
    let copied = 0;
    while (copied < length) {
      if (this.chunk === null || this.chunkPos >= this.chunk.length) {
        // Return what we have rather than wait for more: the caller asks again.
        if (copied > 0) return copied;
        const next = await this.nextChunk();
        if (next.done) return 0;
        this.chunk = next.value;
        this.chunkPos = 0;
      }
      const n = this.chunk.copy(target, targetOffset + copied, this.chunkPos, Math.min(this.chunk.length, this.chunkPos + length - copied));
      this.chunkPos += n;
      copied += n;
      this.delivered += n;
    }
    return copied;
  }

  private async nextChunk(): Promise<IteratorResult<Buffer>> {
    try {
      return await this.chunks.next();
    } catch (err) {
      // zlib and pipe errors become the same one-line, offset-bearing error as format damage.
      const what = this.compressed ? 'gzip stream' : 'input stream';
      throw new CaptureFormatError(this.name, this.delivered, `${what}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.stream.destroy();
  }
}

/**
 * Opens a capture path ("-" is standard input). Gzip is recognised by its magic bytes, not by the
 * file name, so `foo.pcap` that is really gzip still reads.
 */
export async function openByteInput(path: string): Promise<ByteInput> {
  if (path === '-') return openStdin();
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(2);
  const bytesRead = readSync(fd, head, 0, 2, 0);
  if (bytesRead === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
    closeSync(fd);
    return new StreamInput(path, createReadStream(path).pipe(createGunzip()), true);
  }
  return new FileInput(path, fd);
}

async function openStdin(): Promise<ByteInput> {
  // Peek at the first chunk to tell gzip from a raw capture, then put it back.
  const stdin = process.stdin;
  const first = await firstChunk(stdin);
  if (first === null) return new StreamInput('-', stdin, false);
  stdin.unshift(first);
  if (first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1) {
    return new StreamInput('-', stdin.pipe(createGunzip()), true);
  }
  return new StreamInput('-', stdin, false);
}

function firstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) done(chunk);
    };
    const onEnd = (): void => done(null);
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const done = (chunk: Buffer | null): void => {
      cleanup();
      resolve(chunk);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
