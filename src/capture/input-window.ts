import type { ByteInput } from './byte-input.js';
import { CaptureFormatError } from './capture-error.js';

/**
 * Default chunk size. Small enough to stay in L2 while its packets are parsed, so streaming the
 * capture does not evict the flow table's hot records; large enough that the read per chunk costs
 * nothing per packet (bench/RESULTS.md).
 */
const DEFAULT_CAPACITY = 256 << 10;

/**
 * A sliding window over a ByteInput. Readers parse records in place from `buf[pos..end)`; when a
 * record straddles the end, `refill` moves the unread tail to the front and reads more behind it.
 * Only the unread tail is ever copied, and memory stays at one chunk (or one record, if larger).
 */
export class InputWindow {
  buf: Buffer;
  /** Next unread byte in buf. */
  pos = 0;
  /** One past the last valid byte in buf. */
  end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;

  constructor(private readonly input: ByteInput, capacity = DEFAULT_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get name(): string {
    return this.input.name;
  }

  /** File offset of buf[index]. */
  offsetOf(index: number): number {
    return this.base + index;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /**
   * Makes at least `need` unread bytes available (growing the buffer if one record is larger than
   * it), reading as much as fits. Returns false if the input ends first.
   */
  async ensure(need: number): Promise<boolean> {
    if (this.end - this.pos >= need) return true;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.end);
      this.buf = grown;
    }
    while (this.end < need && !this.eof) {
      const n = await this.input.read(this.buf, this.end, this.buf.length - this.end);
      if (n === 0) this.eof = true;
      this.end += n;
    }
    return this.end - this.pos >= need;
  }

  /** True once the input is exhausted and every byte consumed. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  fail(index: number, reason: string): CaptureFormatError {
    return new CaptureFormatError(this.input.name, this.offsetOf(index), reason, this.input.compressed);
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
