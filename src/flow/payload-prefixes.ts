import type { PayloadStop } from './flow-record.js';
import { grown } from './typed-arrays.js';

const STOP_NONE = 0;
const STOP_CODES: readonly PayloadStop[] = ['end', 'limit', 'gap', 'snaplen', 'datagram'];
export const PayloadStopCode = { None: STOP_NONE, Limit: 1, Gap: 2, Snaplen: 3, Datagram: 4 } as const;

/**
 * The first payload bytes of each flow direction, kept in sequence order for the TLS and DNS
 * parsers. A buffer is allocated once per slot-direction and reused by later flows in the slot;
 * records receive a copy. TCP segments are appended only in order: a gap stops collection (the
 * parsers say why they gave up) instead of guessing at reassembly.
 */
export class PayloadPrefixes {
  private buffers: (Buffer | undefined)[];
  private fill: Uint16Array;
  private stop: Uint8Array;
  private nextSeq: Uint32Array;
  private seqKnown: Uint8Array;

  constructor(capacity: number, readonly limit: number) {
    this.buffers = new Array<Buffer | undefined>(capacity * 2);
    this.fill = new Uint16Array(capacity * 2);
    this.stop = new Uint8Array(capacity * 2);
    this.nextSeq = new Uint32Array(capacity * 2);
    this.seqKnown = new Uint8Array(capacity * 2);
  }

  reset(slot: number): void {
    const i = slot * 2;
    this.fill[i] = this.fill[i + 1] = 0;
    this.stop[i] = this.stop[i + 1] = STOP_NONE;
    this.seqKnown[i] = this.seqKnown[i + 1] = 0;
  }

  /** A SYN fixes where the direction's byte stream starts. */
  synSeen(slot: number, dir: number, seq: number): void {
    const i = slot * 2 + dir;
    this.nextSeq[i] = (seq + 1) >>> 0;
    this.seqKnown[i] = 1;
  }

  addSegment(slot: number, dir: number, seq: number, data: Buffer, at: number, captured: number, wireLength: number): void {
    const i = slot * 2 + dir;
    if (this.stop[i] !== STOP_NONE) return;
    if (this.seqKnown[i] === 0) {
      this.nextSeq[i] = seq;
      this.seqKnown[i] = 1;
    }
    const ahead = (seq - this.nextSeq[i]) | 0;
    if (ahead > 0) {
      this.stop[i] = PayloadStopCode.Gap;
      return;
    }
    const overlap = -ahead;
    if (overlap >= wireLength) return; // a retransmission of bytes we already have
    this.append(i, data, at + overlap, captured - overlap, wireLength - overlap);
    this.nextSeq[i] = (seq + wireLength) >>> 0;
  }

  /** Connectionless: keep the first datagram of each direction. */
  addDatagram(slot: number, dir: number, data: Buffer, at: number, captured: number, wireLength: number): void {
    const i = slot * 2 + dir;
    if (this.stop[i] !== STOP_NONE) return;
    this.append(i, data, at, captured, wireLength);
    if (this.stop[i] === STOP_NONE) this.stop[i] = PayloadStopCode.Datagram;
  }

  /** A copy of the kept bytes, safe to hand on after the slot is reused. */
  copyOut(slot: number, dir: number): Buffer {
    const i = slot * 2 + dir;
    const buf = this.buffers[i];
    return buf === undefined || this.fill[i] === 0 ? EMPTY : Buffer.from(buf.subarray(0, this.fill[i]));
  }

  stopOf(slot: number, dir: number): PayloadStop {
    return STOP_CODES[this.stop[slot * 2 + dir]];
  }

  grow(capacity: number): void {
    this.buffers.length = capacity * 2;
    this.fill = grown(this.fill, capacity * 2);
    this.stop = grown(this.stop, capacity * 2);
    this.nextSeq = grown(this.nextSeq, capacity * 2);
    this.seqKnown = grown(this.seqKnown, capacity * 2);
  }

  private append(i: number, data: Buffer, at: number, captured: number, wireLength: number): void {
    if (captured <= 0) {
      this.stop[i] = PayloadStopCode.Snaplen;
      return;
    }
    let buf = this.buffers[i];
    if (buf === undefined) {
      buf = Buffer.allocUnsafe(this.limit);
      this.buffers[i] = buf;
    }
    const fill = this.fill[i];
    const n = Math.min(captured, this.limit - fill);
    data.copy(buf, fill, at, at + n);
    this.fill[i] = fill + n;
    if (fill + n === this.limit) this.stop[i] = PayloadStopCode.Limit;
    else if (captured < wireLength) this.stop[i] = PayloadStopCode.Snaplen;
  }
}

const EMPTY = Buffer.alloc(0);
