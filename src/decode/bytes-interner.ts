/**
 * Values decoded from short byte strings that repeat from flow to flow (a cluster's SNI names, its
 * ALPN lists, the versions its clients offer), made once and then handed out again whenever the
 * same bytes come back: a lookup hashes and compares the bytes, where decoding allocated strings
 * and arrays for every hello (about 0.6 µs of the audit's 6 µs per TLS flow, bench/RESULTS.md).
 * Shared values are frozen. Bounded: when full, it starts again empty (a flood of distinct names
 * then costs what decoding always cost, plus the hash).
 */
export class BytesInterner<T> {
  private readonly entries = new Map<number, { readonly bytes: Uint8Array; readonly value: T }>();

  /**
   * @param decode makes the value of `buf[start..end)`; a module-level function, so that no
   *   closure is made per lookup
   */
  constructor(
    private readonly decode: (buf: Buffer, start: number, end: number) => T,
    private readonly capacity = 4096,
  ) {}

  get(buf: Buffer, start: number, end: number): T {
    let hash = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
    // 30 bits: a small-integer key, never a boxed number.
    const key = hash & 0x3fffffff;
    const known = this.entries.get(key);
    if (known !== undefined && sameBytes(known.bytes, buf, start, end)) return known.value;
    const value = this.decode(buf, start, end);
    if (typeof value === 'object' && value !== null) Object.freeze(value);
    if (this.entries.size >= this.capacity) this.entries.clear();
    // A copy: Buffer#slice would be a view of the capture buffer, which the reader reuses.
    this.entries.set(key, { bytes: Uint8Array.prototype.slice.call(buf, start, end), value });
    return value;
  }
}

function sameBytes(bytes: Uint8Array, buf: Buffer, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = start; i < end; i++) if (bytes[i - start] !== buf[i]) return false;
  return true;
}
