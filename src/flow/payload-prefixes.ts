import { startsLikeTlsUpgrade } from '../decode/tls-upgrade.js';
import type { PayloadStop } from './flow-record.js';
import {
  type FlowSlots,
  PAYLOAD_DIR_SHIFT,
  PAYLOAD_SEQ_KNOWN,
  PAYLOAD_STOP_MASK,
  PAYLOAD_UPGRADE,
  W_NEXT_SEQ,
  W_PAYLOAD_BUFFER,
  W_PAYLOAD_FILL,
  W_PAYLOAD_STATE,
  W_TLS_RECORD,
  WORDS,
} from './flow-slots.js';
import { PayloadPool } from './payload-pool.js';

const STOP_NONE = 0;
const STOP_LIMIT = 1;
const STOP_GAP = 2;
const STOP_SNAPLEN = 3;
const STOP_DATAGRAM = 4;
const STOP_BUDGET = 5;
const STOP_TLS_DATA = 6;
const STOP_NAMES: readonly PayloadStop[] = ['end', 'limit', 'gap', 'snaplen', 'datagram', 'budget', 'tls-data'];
const EMPTY = Buffer.alloc(0);
/** TLS record content types 20-23 (change_cipher_spec .. application_data), and SSLv2's length byte. */
const TLS_RECORD_TYPE_MIN = 20;
const TLS_RECORD_TYPE_MAX = 23;
const TLS_APPLICATION_DATA = 23;
const RECORD_HEADER = 5;
/** The class most TLS hellos fit in. */
const MEDIUM_PREFIX = 512;
/** A buffer reference in a slot word: class << CLASS_SHIFT | buffer id + 1 (0: none). */
const CLASS_SHIFT = 24;

function classOf(ref: number): number {
  return ref >>> CLASS_SHIFT;
}

function idOf(ref: number): number {
  return ref & ((1 << CLASS_SHIFT) - 1);
}
const SSLV2_HELLO_MIN = 0x80;

/**
 * The first payload bytes of each flow direction, in sequence order, for the TLS and DNS parsers.
 * TCP segments are appended only in order: a gap stops collection (the parsers then say why they
 * gave up) rather than guessing at reassembly. Connectionless flows keep their first datagram. A
 * stream whose first byte cannot start a TLS record keeps at most the plain limit, in buffers of
 * that size: the audit sets it to 16 bytes and spends the budget on handshakes (copying and
 * faulting in kilobytes per plaintext stream cost it a third of its time, bench/RESULTS.md).
 * Except in a flow that opens like an upgrade to TLS (STARTTLS, SSLRequest, CONNECT: see
 * src/decode/tls-upgrade.ts): both its directions keep up to the limit, the exchange and the
 * handshake after it.
 */
export class PayloadPrefixes {
  /**
   * Size classes, smallest first: the plain limit (when below the limit), 512 bytes (when below
   * it), and the limit. A TLS stream starts in the class above the plain one and moves up as its
   * handshake grows: most hellos fit 512 bytes, and faulting in a 4 KiB buffer per direction of
   * every flow cost more than the rest of the audit (bench/RESULTS.md).
   */
  private readonly pools: PayloadPool[];
  /** The class of streams that do not open like TLS (0), or -1 when there is no smaller class. */
  private readonly plainClass: number;
  /** The class TLS streams start in. */
  private readonly tlsClass: number;
  /** The capture buffer last copied from, and the same bytes as a plain Uint8Array (plainView). */
  private lastData: Buffer | null = null;
  private lastDataView: Uint8Array = new Uint8Array(0);

  /**
   * @param limit bytes kept of a datagram or a stream that opens like TLS
   * @param plainLimit bytes kept of another stream
   * @param budget bytes all kept prefixes may take together, shared evenly by the classes
   */
  constructor(private readonly slots: FlowSlots, limit: number, plainLimit: number, budget: number) {
    const sizes = [...new Set([Math.min(plainLimit, limit), Math.min(MEDIUM_PREFIX, limit), limit])].filter((n) => n > 0).sort((a, b) => a - b);
    this.pools = sizes.map((size) => new PayloadPool(size, Math.floor(budget / sizes.length / size)));
    this.plainClass = plainLimit < limit ? 0 : -1;
    this.tlsClass = this.plainClass === 0 && sizes.length > 1 ? 1 : 0;
  }

  /** Directions that kept no prefix, or stopped growing, because their class's budget was spent. */
  get exhausted(): number {
    return this.pools.reduce((n, pool) => n + pool.exhausted, 0);
  }

  reset(slot: number): void {
    const w = this.slots.words;
    const s = slot * WORDS;
    w[s + W_PAYLOAD_FILL] = 0;
    w[s + W_PAYLOAD_STATE] = 0;
    w[s + W_PAYLOAD_BUFFER] = 0;
    w[s + W_PAYLOAD_BUFFER + 1] = 0;
    w[s + W_TLS_RECORD] = 0;
  }

  /** Returns the slot's buffers to their pools. */
  release(slot: number): void {
    const w = this.slots.words;
    const s = slot * WORDS + W_PAYLOAD_BUFFER;
    for (let i = s; i < s + 2; i++) {
      if (w[i] !== 0) this.pools[classOf(w[i])].give(idOf(w[i]));
      w[i] = 0;
    }
  }

  /** A SYN fixes where the direction's byte stream starts. */
  synSeen(slot: number, dir: number, seq: number): void {
    const w = this.slots.words;
    const s = slot * WORDS;
    w[s + W_NEXT_SEQ + dir] = (seq + 1) | 0;
    w[s + W_PAYLOAD_STATE] |= PAYLOAD_SEQ_KNOWN << (dir * PAYLOAD_DIR_SHIFT);
  }

  addSegment(slot: number, dir: number, seq: number, data: Buffer, at: number, captured: number, wireLength: number): void {
    const w = this.slots.words;
    const s = slot * WORDS;
    const shift = dir * PAYLOAD_DIR_SHIFT;
    const state = w[s + W_PAYLOAD_STATE];
    if ((state >>> shift) & PAYLOAD_STOP_MASK) return;
    if (((state >>> shift) & PAYLOAD_SEQ_KNOWN) === 0) {
      w[s + W_NEXT_SEQ + dir] = seq;
      w[s + W_PAYLOAD_STATE] = state | (PAYLOAD_SEQ_KNOWN << shift);
    }
    const ahead = (seq - w[s + W_NEXT_SEQ + dir]) | 0;
    if (ahead > 0) {
      this.stop(s, shift, STOP_GAP);
      return;
    }
    const overlap = -ahead;
    if (overlap >= wireLength) return; // a retransmission of bytes already kept
    this.append(s, dir, data, at + overlap, captured - overlap, wireLength - overlap, false);
    w[s + W_NEXT_SEQ + dir] = (seq + wireLength) | 0;
  }

  addDatagram(slot: number, dir: number, data: Buffer, at: number, captured: number, wireLength: number): void {
    const s = slot * WORDS;
    const shift = dir * PAYLOAD_DIR_SHIFT;
    if ((this.slots.words[s + W_PAYLOAD_STATE] >>> shift) & PAYLOAD_STOP_MASK) return;
    this.append(s, dir, data, at, captured, wireLength, true);
    if (((this.slots.words[s + W_PAYLOAD_STATE] >>> shift) & PAYLOAD_STOP_MASK) === STOP_NONE) this.stop(s, shift, STOP_DATAGRAM);
  }

  /** The kept bytes: a view into a pooled buffer, valid until the slot is released. */
  view(slot: number, dir: number): Buffer {
    const w = this.slots.words;
    const s = slot * WORDS;
    const id = w[s + W_PAYLOAD_BUFFER + dir];
    const fill = (w[s + W_PAYLOAD_FILL] >>> (dir * 16)) & 0xffff;
    if (id === 0 || fill === 0) return EMPTY;
    const base = this.baseOf(id);
    return this.slabOf(id).subarray(base, base + fill);
  }

  stopOf(slot: number, dir: number): PayloadStop {
    return STOP_NAMES[(this.slots.words[slot * WORDS + W_PAYLOAD_STATE] >>> (dir * PAYLOAD_DIR_SHIFT)) & PAYLOAD_STOP_MASK];
  }

  /**
   * Walks the TLS record headers of the stream from where the last walk stopped, through the kept
   * bytes (stream offsets 0..fill, at `kept[keptAt..]`) and on into this segment's (`data[at..]`,
   * `captured` of them). Returns the stream offset of the first record other than handshake,
   * alert or change_cipher_spec (the handshake is over: application data follows), or -1.
   */
  private tlsDataStart(s: number, fillShift: number, kept: Buffer | null, keptAt: number, fill: number, data: Buffer, at: number, captured: number): number {
    const w = this.slots.words;
    const end = fill + captured;
    let record = (w[s + W_TLS_RECORD] >>> fillShift) & 0xffff;
    while (record < end) {
      const type = record < fill ? kept![keptAt + record] : data[at + record - fill];
      if (type < TLS_RECORD_TYPE_MIN || type >= TLS_APPLICATION_DATA) return record;
      if (record + RECORD_HEADER > end) break;
      const hi = record + 3 < fill ? kept![keptAt + record + 3] : data[at + record + 3 - fill];
      const lo = record + 4 < fill ? kept![keptAt + record + 4] : data[at + record + 4 - fill];
      record += RECORD_HEADER + ((hi << 8) | lo);
    }
    // Offsets past the 16-bit field only happen beyond the prefix limit, where collection stops anyway.
    w[s + W_TLS_RECORD] = (w[s + W_TLS_RECORD] & ~(0xffff << fillShift)) | (Math.min(record, 0xffff) << fillShift);
    return -1;
  }

  /**
   * `data` seen as a plain Uint8Array, made once per capture buffer (readers reuse theirs): its
   * subarray is a builtin, where a Buffer's goes through Buffer's own constructor. Copying with
   * set() from such a view took 85-175 ns for 16-400 bytes, a loop by hand 200-1,200 ns and
   * Buffer#copy 190-270 ns (bench/RESULTS.md).
   */
  private plainView(data: Buffer): Uint8Array {
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastDataView = new Uint8Array(data.buffer, data.byteOffset, data.length);
    }
    return this.lastDataView;
  }

  /** The slab a buffer reference points into, and where in it the buffer starts. */
  private slabOf(ref: number): Buffer {
    return this.pools[classOf(ref)].slabOf(idOf(ref));
  }

  private baseOf(ref: number): number {
    return this.pools[classOf(ref)].offsetOf(idOf(ref));
  }

  /** A buffer of class `cls` or, when that is spent, nothing (0). */
  private take(cls: number): number {
    const id = this.pools[cls].take();
    return id === 0 ? 0 : (cls << CLASS_SHIFT) | id;
  }

  /** The smallest class that holds `bytes`, else the largest. */
  private classFor(bytes: number): number {
    const i = this.pools.findIndex((pool) => pool.limit >= bytes);
    return i < 0 ? this.pools.length - 1 : i;
  }

  /** Whether a full buffer may still move up: TLS streams below the largest class. */
  private canGrow(ref: number): boolean {
    return classOf(ref) + 1 < this.pools.length && classOf(ref) !== this.plainClass;
  }

  private stop(s: number, shift: number, code: number): void {
    this.slots.words[s + W_PAYLOAD_STATE] |= code << shift;
  }

  /** @param whole a datagram, kept whole up to the limit; else the next bytes of a TCP stream */
  private append(s: number, dir: number, data: Buffer, at: number, captured: number, wireLength: number, whole: boolean): void {
    const shift = dir * PAYLOAD_DIR_SHIFT;
    if (captured <= 0) {
      this.stop(s, shift, STOP_SNAPLEN);
      return;
    }
    const w = this.slots.words;
    const fillShift = dir * 16;
    const fill = (w[s + W_PAYLOAD_FILL] >>> fillShift) & 0xffff;
    let ref = w[s + W_PAYLOAD_BUFFER + dir];
    const kept = ref === 0 ? null : this.slabOf(ref);
    const keptAt = ref === 0 ? 0 : this.baseOf(ref);
    const first = kept === null ? data[at] : kept[keptAt];
    // Of a TLS stream only the handshake is kept, and the header of the record that ends it (the
    // parser names what ended it): the bytes past it are looked at here, never copied.
    const dataAt = !whole && first >= TLS_RECORD_TYPE_MIN && first <= TLS_RECORD_TYPE_MAX ? this.tlsDataStart(s, fillShift, kept, keptAt, fill, data, at, captured) : -1;
    const wanted = dataAt < 0 ? captured : Math.min(captured, dataAt + RECORD_HEADER - fill);
    if (wanted <= 0) {
      this.stop(s, shift, STOP_TLS_DATA);
      return;
    }
    if (ref === 0) {
      // A datagram's size picks the class; a stream's first bytes do: only a TLS handshake needs
      // room to grow, and a plaintext start that may upgrade to one (then both directions of the
      // flow do); any other stream is named by its first bytes.
      const tls = first >= TLS_RECORD_TYPE_MIN && (first <= TLS_RECORD_TYPE_MAX || first >= SSLV2_HELLO_MIN);
      if (!whole && !tls && (w[s + W_PAYLOAD_STATE] & PAYLOAD_UPGRADE) === 0 && startsLikeTlsUpgrade(data, at, captured)) w[s + W_PAYLOAD_STATE] |= PAYLOAD_UPGRADE;
      const upgrade = (w[s + W_PAYLOAD_STATE] & PAYLOAD_UPGRADE) !== 0;
      const cls = whole ? this.classFor(wanted) : tls || upgrade || this.plainClass < 0 ? Math.max(this.tlsClass, this.classFor(wanted)) : this.plainClass;
      ref = this.take(cls);
    } else if (fill + wanted > this.pools[classOf(ref)].limit && this.canGrow(ref)) {
      // A handshake outgrowing its buffer moves up a class.
      const bigger = this.take(classOf(ref) + 1);
      if (bigger !== 0) kept!.copy(this.slabOf(bigger), this.baseOf(bigger), keptAt, keptAt + fill);
      this.pools[classOf(ref)].give(idOf(ref));
      ref = bigger;
    }
    if (ref === 0) {
      // Budget spent: this direction keeps nothing more; the pool counts it.
      w[s + W_PAYLOAD_BUFFER + dir] = 0;
      w[s + W_PAYLOAD_FILL] &= ~(0xffff << fillShift);
      this.stop(s, shift, STOP_BUDGET);
      return;
    }
    w[s + W_PAYLOAD_BUFFER + dir] = ref;
    const slab = this.slabOf(ref);
    const to = this.baseOf(ref) + fill;
    const limit = this.pools[classOf(ref)].limit;
    const n = Math.min(wanted, limit - fill);
    slab.set(this.plainView(data).subarray(at, at + n), to);
    w[s + W_PAYLOAD_FILL] = (w[s + W_PAYLOAD_FILL] & ~(0xffff << fillShift)) | ((fill + n) << fillShift);
    if (dataAt >= 0 && fill + n === dataAt + RECORD_HEADER) this.stop(s, shift, STOP_TLS_DATA);
    else if (fill + n === limit && !this.canGrow(ref)) this.stop(s, shift, STOP_LIMIT);
    else if (captured < wireLength) this.stop(s, shift, STOP_SNAPLEN);
  }
}
