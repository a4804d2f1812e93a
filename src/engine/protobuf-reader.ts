/**
 * The protobuf wire grammar (varints, tags, length-delimited fields, skipping unknown fields) over
 * one message's bytes, for the hand-written reader of the loader's events (loader-event-reader.ts).
 * One reader is reused for every event; every read checks its bounds and throws
 * ProtobufWireError, never reads past the message.
 */

/** Bytes that are not a well-formed protobuf message. */
export class ProtobufWireError extends Error {}

/** The wire types a proto3 message uses (3 and 4, groups, are proto2's and not read). */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

/** 2^32, to join a 64-bit varint's two halves. */
const TWO_32 = 4294967296;

export class ProtobufReader {
  private buf: Buffer = Buffer.alloc(0);
  /** The next byte to read. */
  pos = 0;
  /** Where the message began in buf: errors name a byte of the message, not of the buffer. */
  private start = 0;
  /** Low and high 32 bits of the last varint64(). */
  lo = 0;
  hi = 0;

  /** Starts reading a message: buf[start..end). */
  reset(buf: Buffer, start: number): void {
    this.buf = buf;
    this.pos = start;
    this.start = start;
  }

  /** The big-endian 32-bit word at `at` (a position a field's bytes were found at). */
  word(at: number): number {
    return this.buf.readUInt32BE(at);
  }

  /** The next field's tag (number << 3 | wire type); a field number 0 is not a field. */
  tag(end: number): number {
    const tag = this.varint32(end);
    if (tag >>> 3 === 0) throw new ProtobufWireError(`field number 0 at byte ${this.pos - 1 - this.start}`);
    return tag;
  }

  /** A varint's low 32 bits, unsigned (protobuf truncates a longer value written to a 32-bit field). */
  varint32(end: number): number {
    this.varint64(end);
    return this.lo;
  }

  /** A varint of up to 10 bytes into lo and hi. */
  varint64(end: number): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new ProtobufWireError(`varint runs past the end of its message (byte ${this.pos - this.start})`);
      const byte = this.buf[this.pos++];
      if (i < 4) lo |= (byte & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (byte & 0x0f) << 28;
        hi = (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (7 * i - 32);
      if ((byte & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new ProtobufWireError(`varint longer than 10 bytes at byte ${this.pos - 10 - this.start}`);
  }

  /** A uint64 as a Number (exact up to 2^53, as counters are). */
  uint64(end: number): number {
    this.varint64(end);
    return this.hi * TWO_32 + this.lo;
  }

  /**
   * A uint64 of nanoseconds as whole microseconds, exact where a Number of the nanoseconds would
   * not be (Unix nanoseconds are past 2^53): with hi = 1000q + r, ns / 1000 = q * 2^32 +
   * (r * 2^32 + lo) / 1000, both parts exact in a double.
   */
  microseconds(end: number): number {
    this.varint64(end);
    const q = Math.floor(this.hi / 1000);
    return q * TWO_32 + Math.floor(((this.hi - q * 1000) * TWO_32 + this.lo) / 1000);
  }

  /** A length-delimited field's end (its bytes are pos..end), checked against the enclosing `end`. */
  delimitedEnd(end: number): number {
    const length = this.varint32(end);
    if (length > end - this.pos) throw new ProtobufWireError(`a field of ${length} bytes runs past the end of its message (byte ${this.pos - this.start})`);
    return this.pos + length;
  }

  /** A view of a length-delimited field's bytes (not a copy). */
  bytes(end: number): Buffer {
    const to = this.delimitedEnd(end);
    const view = this.buf.subarray(this.pos, to);
    this.pos = to;
    return view;
  }

  string(end: number): string {
    const to = this.delimitedEnd(end);
    const text = this.buf.toString('utf8', this.pos, to);
    this.pos = to;
    return text;
  }

  /** Skips a field this reader does not know (a newer schema's), by its wire type. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64(end);
        return;
      case WireType.Fixed64:
        this.advance(8, end);
        return;
      case WireType.LengthDelimited:
        this.pos = this.delimitedEnd(end);
        return;
      case WireType.Fixed32:
        this.advance(4, end);
        return;
      default:
        throw new ProtobufWireError(`wire type ${wireType} at byte ${this.pos - 1 - this.start} (groups and unassigned types are not read)`);
    }
  }

  private advance(bytes: number, end: number): void {
    if (bytes > end - this.pos) throw new ProtobufWireError(`a fixed field runs past the end of its message (byte ${this.pos - this.start})`);
    this.pos += bytes;
  }
}
