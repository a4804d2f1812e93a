import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip, type Gunzip } from 'node:zlib';
import { pipeline, type Readable } from 'node:stream';
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
 * A regular file, read synchronously: a blocking read of a chunk from the page cache costs less
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
  readonly compressed: boolean;
  private readonly chunks: AsyncIterator<Buffer>;
  private chunk: Buffer | null = null;
  private chunkPos = 0;
  /** Bytes handed out so far: the offset a stream error is reported at. */
  private delivered = 0;

  /**
   * `inflater`: the gunzip transform when `stream` is one (it knows how much compressed input
   * it consumed). `head`: bytes already taken from the stream (to sniff its format), delivered first.
   */
  constructor(readonly name: string, private readonly stream: Readable, private readonly inflater: Gunzip | null, head: Buffer | null = null) {
    this.compressed = inflater !== null;
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.chunk = head;
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
      const message = (err as Error).message;
      if (this.inflater === null) throw new CaptureFormatError(this.name, this.delivered, `input stream: ${message}`);
      throw new CaptureFormatError(this.name, this.delivered, `gzip stream: ${message}`, true, this.inflater.bytesWritten);
    }
  }

  async close(): Promise<void> {
    this.stream.destroy();
  }
}

/**
 * Opens a capture path ("-" is standard input). Gzip is recognised by its magic bytes, not by the
 * file name, so `foo.pcap` that is really gzip still reads. Pipes and devices (`<(zcat x)`,
 * /dev/stdin) cannot seek or be reopened, so they are read as streams, like standard input.
 */
export async function openByteInput(path: string): Promise<ByteInput> {
  if (path === '-') return openStream('-', process.stdin);
  const fd = openSync(path, 'r');
  const stat = fstatSync(fd);
  if (stat.isDirectory()) {
    closeSync(fd);
    throw directoryError(path);
  }
  if (!stat.isFile()) return openStream(path, createReadStream(path, { fd }));
  const head = Buffer.alloc(2);
  const bytesRead = readSync(fd, head, 0, 2, 0);
  if (isGzip(head.subarray(0, bytesRead))) return gzipInput(path, createReadStream(path, { fd, start: 0 }), null);
  return new FileInput(path, fd);
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
}

/**
 * The decompressed bytes of `head` followed by `source`. pipeline, not pipe: a read error on the
 * source must reach the reader (through the gunzip stream) rather than leave it waiting.
 */
function gzipInput(name: string, source: Readable, head: Buffer | null): StreamInput {
  const inflater = createGunzip();
  if (head !== null) inflater.write(head);
  pipeline(source, inflater, () => {
    // Errors surface on `inflater`, where the reader is listening.
  });
  return new StreamInput(name, inflater, inflater);
}

/** Shaped like the system error the CLI reports as `flowaudit: PATH: reason`. */
function directoryError(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('is a directory, not a capture file');
  error.code = 'EISDIR';
  error.path = path;
  return error;
}

async function openStream(name: string, stream: Readable): Promise<ByteInput> {
  // Take the first bytes to tell gzip from a raw capture; they are handed on first, not pushed
  // back (unshift after the stream has ended loses them).
  const head = await firstBytes(name, stream);
  if (isGzip(head)) return gzipInput(name, stream, head);
  return new StreamInput(name, stream, null, head);
}

/** At least the stream's first two bytes (fewer only if it ends sooner). */
function firstBytes(name: string, stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const taken: Buffer[] = [];
    let length = 0;
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        taken.push(chunk);
        length += chunk.length;
      }
      if (length >= 2) done();
    };
    const onEnd = (): void => done();
    const onError = (err: Error): void => {
      cleanup();
      reject(new CaptureFormatError(name, 0, `input stream: ${err.message}`));
    };
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const done = (): void => {
      cleanup();
      resolve(Buffer.concat(taken, length));
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
