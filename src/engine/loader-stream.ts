/**
 * Reads the eBPF loader's stdout: Events of proto/flowaudit.proto, each preceded by its length
 * as a varint. Memory stays bounded whatever arrives: a length above MAX_EVENT_BYTES (the largest
 * real event is a 4 KiB payload chunk) ends decoding before anything is allocated for it, and at
 * most one event's bytes wait for the rest of it. Nothing throws: every problem is counted in
 * `stats` and reported once through `onProblem` with its stream offset.
 */
import type { LoaderEvent } from './loader-events.js';
import { LoaderEventReader } from './loader-event-reader.js';

/** The largest event accepted: a payload chunk (4096 bytes) and its key need well under this. */
export const MAX_EVENT_BYTES = 65536;
/** A varint of a length up to 2^35 needs 5 bytes; more is not a length we would accept. */
const MAX_PREFIX_BYTES = 5;

export interface LoaderStreamStats {
  /** Events decoded and handed on. */
  events: number;
  /** Bytes read from the stream. */
  bytes: number;
  /** Events whose bytes do not decode, or decode to what the schema rules out (skipped). */
  malformed: number;
  /** 1 when the stream ended inside an event (its bytes are dropped). */
  truncated: number;
  /** 1 when a length prefix was over MAX_EVENT_BYTES: nothing after it can be framed. */
  oversized: number;
  /** Bytes not decoded because the stream could no longer be framed. */
  discardedBytes: number;
}

/** One problem in the stream, with the offset of the event's length prefix. */
export class LoaderStreamError extends Error {
  constructor(
    readonly reason: 'malformed' | 'truncated' | 'oversized',
    readonly offset: number,
    detail: string,
  ) {
    super(`loader stream: ${reason} event at byte ${offset}: ${detail}`);
  }
}

export class LoaderStreamDecoder {
  readonly stats: LoaderStreamStats = { events: 0, bytes: 0, malformed: 0, truncated: 0, oversized: 0, discardedBytes: 0 };
  private readonly reader = new LoaderEventReader();
  /** Bytes of an event not yet complete (at most MAX_PREFIX_BYTES + MAX_EVENT_BYTES). */
  private pending: Buffer = Buffer.alloc(0);
  /** Stream offset of pending[0]. */
  private pendingOffset = 0;
  private broken = false;

  constructor(
    private readonly onEvent: (event: LoaderEvent) => void,
    private readonly onProblem: (error: LoaderStreamError) => void = () => {},
  ) {}

  /** Decodes every event complete in what has arrived so far. */
  push(chunk: Uint8Array): void {
    this.stats.bytes += chunk.length;
    if (this.broken) {
      this.stats.discardedBytes += chunk.length;
      return;
    }
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending.length > 0) {
      // Only the bytes that complete the held event are copied to it, not the whole chunk (a
      // pipe's 64 KiB copied and allocated anew at every read cost the agent 4% of its time).
      const take = Math.min(data.length, this.bytesToComplete(data));
      this.decodeAll(Buffer.concat([this.pending, data.subarray(0, take)]));
      data = data.subarray(take);
      if (this.broken) {
        this.stats.discardedBytes += data.length;
        return;
      }
      if (this.pending.length > 0) return;
    }
    this.decodeAll(data);
  }

  /** How many bytes from `data` the held event needs to be whole (its prefix read across both if split). */
  private bytesToComplete(data: Buffer): number {
    const head = this.pending.length >= MAX_PREFIX_BYTES ? this.pending : Buffer.concat([this.pending, data.subarray(0, MAX_PREFIX_BYTES)]);
    const prefix = readLength(head, 0);
    // A prefix still incomplete, too long or too large: decodeAll says what to do with its bytes.
    if (typeof prefix === 'string' || prefix.value > MAX_EVENT_BYTES) return MAX_PREFIX_BYTES;
    return prefix.size + prefix.value - this.pending.length;
  }

  /** Decodes the events whole in `data` (the stream from pendingOffset on) and holds the rest. */
  private decodeAll(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const prefix = readLength(data, at);
      if (prefix === 'incomplete') break;
      if (prefix === 'too-long' || prefix.value > MAX_EVENT_BYTES) {
        const detail = prefix === 'too-long' ? 'length prefix longer than 5 bytes' : `length ${prefix.value} exceeds ${MAX_EVENT_BYTES}`;
        this.breakOff(new LoaderStreamError('oversized', this.pendingOffset + at, detail), data.length - at);
        return;
      }
      const end = at + prefix.size + prefix.value;
      if (end > data.length) break;
      this.decodeOne(data, at + prefix.size, end, this.pendingOffset + at);
      at = end;
    }
    // Copied: the caller may reuse its chunk's memory.
    this.pending = Buffer.from(data.subarray(at));
    this.pendingOffset += at;
  }

  /** The stream ended: an event cut short is counted and reported. */
  end(): void {
    if (this.broken || this.pending.length === 0) return;
    this.stats.truncated++;
    const prefix = readLength(this.pending, 0);
    const detail =
      prefix === 'incomplete' || prefix === 'too-long'
        ? `the stream ends inside a length prefix (${this.pending.length} bytes)`
        : `the stream ends after ${this.pending.length - prefix.size} of its ${prefix.value} bytes`;
    this.onProblem(new LoaderStreamError('truncated', this.pendingOffset, detail));
    this.pending = Buffer.alloc(0);
  }

  /** The event in data[start..end), whose length prefix is at stream offset `offset`. */
  private decodeOne(data: Buffer, start: number, end: number, offset: number): void {
    let event: LoaderEvent;
    try {
      event = this.reader.read(data, start, end);
    } catch (err) {
      this.stats.malformed++;
      this.onProblem(new LoaderStreamError('malformed', offset, err instanceof Error ? err.message : String(err)));
      return;
    }
    this.stats.events++;
    this.onEvent(event);
  }

  private breakOff(error: LoaderStreamError, discarded: number): void {
    this.broken = true;
    this.stats.oversized = 1;
    this.stats.discardedBytes += discarded;
    this.pending = Buffer.alloc(0);
    this.onProblem(error);
  }
}

/** The varint at `at`: its value and size, or why there is none yet. */
function readLength(data: Buffer, at: number): { value: number; size: number } | 'incomplete' | 'too-long' {
  let value = 0;
  for (let i = 0; i < MAX_PREFIX_BYTES; i++) {
    if (at + i >= data.length) return 'incomplete';
    const byte = data[at + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
  }
  return 'too-long';
}

/** Decodes a whole recorded stream (a file the loader wrote): its events, problems and stats. */
export function decodeLoaderStream(bytes: Uint8Array): { events: LoaderEvent[]; problems: LoaderStreamError[]; stats: LoaderStreamStats } {
  const events: LoaderEvent[] = [];
  const problems: LoaderStreamError[] = [];
  const decoder = new LoaderStreamDecoder((e) => events.push(e), (p) => problems.push(p));
  decoder.push(bytes);
  decoder.end();
  return { events, problems, stats: decoder.stats };
}
