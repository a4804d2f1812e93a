import type { TlsAlert } from './tls-alert.js';

/** TLS record content types (RFC 8446 section 5.1). */
export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;

const RECORD_HEADER = 5;
const MESSAGE_HEADER = 4;
const ALERT_WARNING = 1;
const ALERT_CLOSE_NOTIFY = 0;
const ALERT_USER_CANCELED = 90;
/** The largest record a peer may send: 2^14 plus the most expansion any version allows. */
export const MAX_RECORD_LENGTH = 16384 + 2048;

/**
 * What ended the run of plaintext handshake records: the bytes ran out, or the first record of
 * another type (after ChangeCipherSpec, and from TLS 1.3's encrypted records on, nothing more
 * is readable), or a header no TLS peer sends.
 */
export type HandshakeStreamEnd = 'bytes' | 'change-cipher-spec' | 'alert' | 'application-data' | 'heartbeat' | 'malformed';

/** True when `data[at..]` begins like a TLS record header of the given content type, as far as it goes. */
export function looksLikeRecord(data: Buffer, at: number, type: number): boolean {
  const n = data.length - at;
  return n >= 1 && data[at] === type && (n < 2 || data[at + 1] === 3) && (n < 3 || data[at + 2] <= 4);
}

/**
 * Reads the handshake messages carried by the TLS records at the start of a byte stream, up to
 * the first record that is not a handshake record (or a warning alert, stepped over). A record may carry several messages and a
 * message may span records: a message inside one record is read where it lies (`buf` is the
 * input), and only one that spans records is copied out, into a buffer of its own. The last
 * message may be cut by the end of the bytes: then `availableEnd < declaredEnd`.
 *
 * Every record header is checked (content type, version 3.x, length 1..18432). Never throws; each
 * step consumes a header or fragment bytes, so reading is bounded by the input.
 */
export class HandshakeReader {
  // The current message (valid after next() returned true, until the next call).
  type = 0;
  buf: Buffer;
  bodyStart = 0;
  /** Where the body ends by its declared length (may lie beyond the captured bytes). */
  declaredEnd = 0;
  /** Where the captured body ends. */
  availableEnd = 0;

  /** Why reading stopped, once next() returned false. */
  end: HandshakeStreamEnd = 'bytes';
  /** For `malformed`: which header was wrong. */
  problem: string | undefined;
  /** For `alert`: the alert, when its two bytes were captured. */
  alert: TlsAlert | undefined;
  /** The bytes ended inside a record or a message header (so inside whatever came next). */
  cutInRecord = false;

  private recordPos: number;
  private fragPos = 0;
  private fragEnd = 0;
  private done = false;

  constructor(private readonly data: Buffer, start: number) {
    this.buf = data;
    this.recordPos = start;
  }

  /** Reads the next message into the fields above; false when there is none (see `end`). */
  next(): boolean {
    if (this.done) return false;
    while (this.fragPos >= this.fragEnd) if (!this.nextRecord()) return false;
    const data = this.data;
    const inRecord = this.fragEnd - this.fragPos;
    if (inRecord >= MESSAGE_HEADER) {
      const length = (data[this.fragPos + 1] << 16) | (data[this.fragPos + 2] << 8) | data[this.fragPos + 3];
      const recordCut = this.fragEnd === data.length;
      if (MESSAGE_HEADER + length <= inRecord || recordCut) {
        // Wholly inside this record, or cut by the end of the bytes inside it: read in place.
        this.type = data[this.fragPos];
        this.buf = data;
        this.bodyStart = this.fragPos + MESSAGE_HEADER;
        this.declaredEnd = this.bodyStart + length;
        this.availableEnd = Math.min(this.declaredEnd, this.fragEnd);
        this.fragPos = this.availableEnd;
        return true;
      }
    } else if (this.fragEnd === data.length) {
      return this.stop('bytes', true);
    }
    return this.assemble();
  }

  /** A message that spans records: copies its header and body, gathered across them. */
  private assemble(): boolean {
    const header = Buffer.alloc(MESSAGE_HEADER);
    if (this.gather(header, MESSAGE_HEADER) < MESSAGE_HEADER) {
      if (this.end === 'bytes') this.cutInRecord = true;
      this.done = true;
      return false;
    }
    const length = (header[1] << 16) | (header[2] << 8) | header[3];
    // No more can arrive than the input still holds.
    const body = Buffer.alloc(Math.min(length, this.data.length - this.fragPos));
    this.type = header[0];
    this.buf = body;
    this.bodyStart = 0;
    this.declaredEnd = length;
    this.availableEnd = this.gather(body, body.length);
    return true;
  }

  /** Copies up to n bytes of handshake fragments into target, moving through records; returns how many. */
  private gather(target: Buffer, n: number): number {
    let copied = 0;
    while (copied < n) {
      if (this.fragPos >= this.fragEnd && !this.nextRecord()) break;
      const k = Math.min(n - copied, this.fragEnd - this.fragPos);
      this.data.copy(target, copied, this.fragPos, this.fragPos + k);
      this.fragPos += k;
      copied += k;
    }
    return copied;
  }

  /**
   * Moves to the next handshake record's fragment; false (with `end` set) at anything else. A
   * warning alert that does not close the connection is stepped over: servers send
   * unrecognized_name as a warning before their ServerHello, and the handshake goes on.
   */
  private nextRecord(): boolean {
    while (this.atWarningAlert()) this.recordPos += RECORD_HEADER + ((this.data[this.recordPos + 3] << 8) | this.data[this.recordPos + 4]);
    if (this.done) return false;
    const data = this.data;
    const pos = this.recordPos;
    // Cut when bytes of a header remain, or the previous record ran past the end (pos beyond it).
    if (data.length - pos < RECORD_HEADER) return this.stop('bytes', pos !== data.length);
    const type = data[pos];
    const length = (data[pos + 3] << 8) | data[pos + 4];
    if (data[pos + 1] !== 3 || data[pos + 2] > 4) {
      this.problem = `record at byte ${pos} has version ${hex16((data[pos + 1] << 8) | data[pos + 2])}, not TLS`;
      return this.stop('malformed', false);
    }
    if (length === 0 || length > MAX_RECORD_LENGTH) {
      this.problem = `record at byte ${pos} has length ${length}`;
      return this.stop('malformed', false);
    }
    const fragStart = pos + RECORD_HEADER;
    const fragEnd = Math.min(fragStart + length, data.length);
    switch (type) {
      case ContentType.Handshake:
        this.fragPos = fragStart;
        this.fragEnd = fragEnd;
        this.recordPos = fragStart + length;
        return true;
      case ContentType.ChangeCipherSpec:
        return this.stop('change-cipher-spec', false);
      case ContentType.ApplicationData:
        return this.stop('application-data', false);
      case ContentType.Heartbeat:
        return this.stop('heartbeat', false);
      case ContentType.Alert:
        if (fragEnd - fragStart >= 2) this.alert = { level: data[fragStart], description: data[fragStart + 1] };
        return this.stop('alert', false);
      default:
        this.problem = `record at byte ${pos} has content type ${type}`;
        return this.stop('malformed', false);
    }
  }

  /**
   * A whole alert record at the read position of level warning whose description does not end
   * the connection (close_notify and user_canceled do), header valid: each step over one consumes
   * its bytes, so reading stays bounded by the input.
   */
  private atWarningAlert(): boolean {
    const data = this.data;
    const pos = this.recordPos;
    if (this.done || data.length - pos < RECORD_HEADER + 2 || data[pos] !== ContentType.Alert || data[pos + 1] !== 3 || data[pos + 2] > 4) return false;
    const length = (data[pos + 3] << 8) | data[pos + 4];
    if (length !== 2 || data[pos + RECORD_HEADER] !== ALERT_WARNING) return false;
    const description = data[pos + RECORD_HEADER + 1];
    return description !== ALERT_CLOSE_NOTIFY && description !== ALERT_USER_CANCELED;
  }

  /** The current message was cut short by the bytes ending. */
  get cut(): boolean {
    return this.availableEnd < this.declaredEnd;
  }

  /** Reading ended at a record other than a handshake record, or a bad header (not the bytes running out). */
  get interrupted(): boolean {
    return this.done && this.end !== 'bytes';
  }

  private stop(end: HandshakeStreamEnd, cut: boolean): false {
    this.end = end;
    this.cutInRecord = cut;
    this.done = true;
    return false;
  }
}

export function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}
