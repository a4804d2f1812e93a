/** libpcap's limits: 10^19 and 2^63 are the finest resolutions whose unit counts fit 64 bits. */
const MAX_DECIMAL_EXPONENT = 19;
const MAX_BINARY_EXPONENT = 63;

/** True for an if_tsresol byte (10^-v, or 2^-(v & 0x7f) with the high bit set) we can convert. */
export function isSupportedTsresol(value: number): boolean {
  return value & 0x80 ? (value & 0x7f) <= MAX_BINARY_EXPONENT : value <= MAX_DECIMAL_EXPONENT;
}

/** The resolution an if_tsresol byte names, as people write it: "10^-9", "2^-20". */
export function describeTsresol(value: number): string {
  return value & 0x80 ? `2^-${value & 0x7f}` : `10^-${value}`;
}

/** Values below this high word (2^53 - 2^38 in all) divide exactly as doubles, with room to spare. */
const EXACT_DOUBLE_HIGH_LIMIT = 0x1fffc0;
/** 10^9 = 1953125 * 2^9: nanoseconds from a binary fraction multiply by the odd part only. */
const NANOS_ODD_PART = 1953125;

/**
 * Converts pcapng's 64-bit timestamps (a count of if_tsresol units, split into two 32-bit words)
 * into exact seconds and nanoseconds (nanoseconds rounded down) without BigInt, so the per-packet
 * path allocates nothing. Seconds are exact while the count's whole seconds are below 2^53 (285
 * million years); past that they are the nearest double before if_tsoffset is added. One converter per interface; the result is left in `seconds` and
 * `nanos`.
 *
 * Units per second are odd * 2^shift (10^d = 5^d * 2^d, 2^b = 1 * 2^b). The count is shifted
 * right by `shift` with bit operations, and what remains is divided by the odd part in long
 * division with digits small enough that every intermediate stays an exact double.
 */
export class TimestampConverter {
  seconds = 0;
  nanos = 0;
  /** 10^d's d, or -1 for a binary resolution. */
  private readonly decimalExponent: number;
  private readonly unitsPerSecond: number;
  private readonly shift: number;
  private readonly odd: number;
  private readonly oddDigitBits: number;
  /** For 10^d with d > 9: nanos = (remainder / 2^(d-9)) / 5^(d-9). */
  private readonly nanosOdd: number;
  /** For 10^d with d <= 9: nanoseconds per unit, computed once rather than per packet. */
  private readonly nanosPerUnit: number;
  /** Result of `divide`. */
  private quotient = 0;
  private remainder = 0;

  /**
   * @param tsresol the if_tsresol byte (6, microseconds, when the option is absent); must pass
   *   isSupportedTsresol
   * @param offsetSeconds if_tsoffset, added to every timestamp
   */
  constructor(tsresol = 6, private readonly offsetSeconds = 0) {
    const binary = (tsresol & 0x80) !== 0;
    const exponent = tsresol & 0x7f;
    this.decimalExponent = binary ? -1 : exponent;
    this.shift = exponent;
    this.odd = binary ? 1 : 5 ** exponent;
    this.unitsPerSecond = this.odd * 2 ** exponent;
    this.oddDigitBits = digitBitsFor(this.odd);
    this.nanosOdd = binary || exponent <= 9 ? 1 : 5 ** (exponent - 9);
    this.nanosPerUnit = binary || exponent > 9 ? 0 : 10 ** (9 - exponent);
  }

  convert(high: number, low: number): void {
    const d = this.decimalExponent;
    if (d >= 0 && d <= 9 && high < EXACT_DOUBLE_HIGH_LIMIT) {
      // The common case (micro- or nanoseconds within 2^53 units): plain division, corrected
      // for the quotient's rounding.
      const units = this.unitsPerSecond;
      const value = high * 4294967296 + low;
      let seconds = Math.floor(value / units);
      let remainder = value - seconds * units;
      if (remainder < 0) {
        seconds--;
        remainder += units;
      } else if (remainder >= units) {
        seconds++;
        remainder -= units;
      }
      this.seconds = seconds + this.offsetSeconds;
      this.nanos = remainder * this.nanosPerUnit;
      return;
    }
    // Split the count at bit `shift`: whole = count >> shift, fraction = the bits below.
    const s = this.shift;
    let wholeHigh: number;
    let wholeLow: number;
    let fractionHigh = 0;
    let fractionLow: number;
    if (s === 0) {
      wholeHigh = high;
      wholeLow = low;
      fractionLow = 0;
    } else if (s < 32) {
      wholeHigh = high >>> s;
      wholeLow = ((high << (32 - s)) | (low >>> s)) >>> 0;
      fractionLow = (low & (0xffffffff >>> (32 - s))) >>> 0;
    } else {
      wholeHigh = 0;
      wholeLow = high >>> (s - 32);
      fractionHigh = s === 32 ? 0 : (high & (0xffffffff >>> (64 - s))) >>> 0;
      fractionLow = low;
    }
    if (d < 0) {
      this.seconds = wholeHigh * 4294967296 + wholeLow + this.offsetSeconds;
      this.nanos = binaryFractionToNanos(fractionHigh, fractionLow, s);
      return;
    }
    // 10^d: seconds = whole / 5^d; the remainder r and the fraction bits make r * 2^d + fraction
    // units of 10^-d s. d <= 19 keeps the fraction in the low word.
    this.divide(wholeHigh, wholeLow, this.odd, this.oddDigitBits);
    this.seconds = this.quotient + this.offsetSeconds;
    const r = this.remainder;
    if (d <= 9) {
      this.nanos = (r * 2 ** d + fractionLow) * 10 ** (9 - d);
      return;
    }
    // nanos = (r * 2^d + fraction) / 10^(d-9) = (r * 2^9 + (fraction >> (d-9))) / 5^(d-9). The
    // dividend may pass 2^53, so it is split into words: r = rh * 2^23 + rl, and rl * 2^9 plus
    // the fraction's 9 bits fit in the low word without carry.
    const rh = Math.floor(r / 8388608);
    const rl = r - rh * 8388608;
    this.divide(rh, rl * 512 + (fractionLow >>> (d - 9)), this.nanosOdd, digitBitsFor(this.nanosOdd));
    this.nanos = this.quotient;
  }

  /**
   * Long division of the 64-bit high * 2^32 + low by `divisor`, `digitBits` bits at a time;
   * leaves `quotient` (exact while below 2^53) and `remainder`.
   */
  private divide(high: number, low: number, divisor: number, digitBits: number): void {
    const base = 2 ** digitBits;
    const mask = base - 1;
    let quotient = 0;
    let remainder = 0;
    for (let shift = 64 - digitBits; shift >= 0; shift -= digitBits) {
      const current = remainder * base + (((shift >= 32 ? high : low) >>> (shift & 31)) & mask);
      // A correctly rounded quotient of exact operands below 2^52 is off by at most one.
      let digit = Math.floor(current / divisor);
      remainder = current - digit * divisor;
      if (remainder < 0) {
        digit--;
        remainder += divisor;
      } else if (remainder >= divisor) {
        digit++;
        remainder -= divisor;
      }
      quotient = quotient * base + digit;
    }
    this.quotient = quotient;
    this.remainder = remainder;
  }
}

/** Digit width that keeps divisor * 2^bits <= 2^52, so each long-division step is exact. */
function digitBitsFor(divisor: number): number {
  return divisor <= 2 ** 36 ? 16 : divisor <= 2 ** 44 ? 8 : 4;
}

/** floor(fraction * 10^9 / 2^bits) for a fraction of `bits` bits (bits <= 63), exactly. */
function binaryFractionToNanos(high: number, low: number, bits: number): number {
  // Below 2^23 the product with 10^9 is an exact double, and dividing by 2^bits is exact.
  if (bits <= 23) return Math.floor((low * 1e9) / 2 ** bits);
  // Otherwise multiply by 1953125 word by word (each product < 2^53) and shift by bits - 9.
  const a = high * NANOS_ODD_PART;
  const b = low * NANOS_ODD_PART;
  const t = bits - 9;
  if (t >= 32) return Math.floor((a + Math.floor(b / 4294967296)) / 2 ** (t - 32));
  return a * 2 ** (32 - t) + Math.floor(b / 2 ** t);
}
