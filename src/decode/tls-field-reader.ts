/**
 * Bounds-checked reads over one handshake message body whose declared length may run past the
 * captured bytes. A read that passes the declared end makes the message `malformed`; one that
 * passes only the captured end makes it `truncated`, and the fields read so far stand. After the
 * first failure every `has` answers false, so parsers stop at the first missing field.
 */
export class TlsFieldReader {
  pos: number;
  status: 'ok' | 'truncated' | 'malformed' = 'ok';
  /** For `malformed`: the field whose length did not fit. */
  problem: string | undefined;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly declaredEnd: number,
    readonly availableEnd: number,
  ) {
    this.pos = start;
  }

  /** Whether `n` more bytes of `field` are there to read; if not, records why. */
  has(n: number, field: string): boolean {
    if (this.status !== 'ok') return false;
    if (this.pos + n > this.declaredEnd) {
      this.status = 'malformed';
      this.problem = `${field} runs past the end of the message`;
      return false;
    }
    if (this.pos + n > this.availableEnd) {
      this.status = 'truncated';
      return false;
    }
    return true;
  }

  fail(problem: string): void {
    if (this.status !== 'ok') return;
    this.status = 'malformed';
    this.problem = problem;
  }

  /** Bytes left before the declared end. */
  get declaredLeft(): number {
    return this.declaredEnd - this.pos;
  }

  u8(): number {
    return this.buf[this.pos++];
  }

  u16(): number {
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u24(): number {
    const v = (this.buf[this.pos] << 16) | (this.buf[this.pos + 1] << 8) | this.buf[this.pos + 2];
    this.pos += 3;
    return v;
  }

  skip(n: number): void {
    this.pos += n;
  }
}

/**
 * Text of a name on the wire (an SNI host name, an ALPN protocol id): printable ASCII as is, any
 * other byte as \xHH, so a report never carries control characters.
 */
export function wireText(buf: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    if (buf[i] < 0x20 || buf[i] > 0x7e || buf[i] === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return buf.toString('latin1', start, end);
  let out = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    out += b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
