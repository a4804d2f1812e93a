/**
 * Converts pcapng's 64-bit timestamps (a count of if_tsresol units, split into two 32-bit words)
 * into seconds and nanoseconds without BigInt, so the per-packet path allocates nothing. One
 * converter per interface; the result is left in `seconds` and `nanos`.
 */
export class TimestampConverter {
  seconds = 0;
  nanos = 0;
  private readonly nanosPerUnit: number;

  /**
   * @param unitsPerSecond 10^d or 2^b from if_tsresol (10^6 when absent)
   * @param offsetSeconds if_tsoffset, added to every timestamp
   */
  constructor(private readonly unitsPerSecond: number, private readonly offsetSeconds = 0) {
    this.nanosPerUnit = 1e9 / unitsPerSecond;
  }

  convert(high: number, low: number): void {
    const units = this.unitsPerSecond;
    let seconds: number;
    let remainder: number;
    if (high < 0x200000) {
      // Below 2^53 the 64-bit value is exact as a double.
      const value = high * 4294967296 + low;
      seconds = Math.floor(value / units);
      remainder = value - seconds * units;
    } else if (units < 2 ** 37) {
      // Long division in base 2^16 keeps every intermediate below 2^53.
      let q = 0;
      let r = 0;
      let cur = r * 65536 + (high >>> 16);
      let digit = Math.floor(cur / units);
      r = cur - digit * units;
      q = digit;
      cur = r * 65536 + (high & 0xffff);
      digit = Math.floor(cur / units);
      r = cur - digit * units;
      q = q * 65536 + digit;
      cur = r * 65536 + (low >>> 16);
      digit = Math.floor(cur / units);
      r = cur - digit * units;
      q = q * 65536 + digit;
      cur = r * 65536 + (low & 0xffff);
      digit = Math.floor(cur / units);
      r = cur - digit * units;
      seconds = q * 65536 + digit;
      remainder = r;
    } else {
      // Resolutions finer than 2^-37 s: nanosecond precision is all we keep anyway.
      const value = high * 4294967296 + low;
      seconds = Math.floor(value / units);
      remainder = Math.max(0, value - seconds * units);
    }
    this.seconds = seconds + this.offsetSeconds;
    this.nanos = Math.floor(remainder * this.nanosPerUnit);
  }
}

/** Decodes the one-byte if_tsresol option: high bit clear is 10^-v, set is 2^-(v & 0x7f). */
export function unitsPerSecondFromTsresol(value: number): number {
  return value & 0x80 ? 2 ** (value & 0x7f) : 10 ** value;
}
