import { InvalidArgumentError } from 'commander';

/** For repeatable options: each occurrence appends. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number, 0 or more');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Node's timers take at most 2^31-1 ms (about 24.8 days); a longer delay silently becomes 1 ms. */
const MAX_TIMER_SECONDS = (2 ** 31 - 1) / 1000;

/** Seconds that become a Node timer's delay: from 1 ms to Node's limit. */
export function timerSeconds(value: string): number {
  const n = positiveNumber(value);
  if (n < 0.001 || n > MAX_TIMER_SECONDS) throw new InvalidArgumentError(`expected 0.001 to ${MAX_TIMER_SECONDS} seconds (Node's timer limit, about 24.8 days)`);
  return n;
}

/** A whole number from `min` to `max`. */
export function integerFrom(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A power of two from `min` to `max` (a BPF ring buffer's size must be one). */
export function powerOfTwoFrom(min: number, max: number): (value: string) => number {
  const inRange = integerFrom(min, max);
  return (value) => {
    const n = inRange(value);
    if ((n & (n - 1)) !== 0) throw new InvalidArgumentError(`expected a power of two from ${min} to ${max}`);
    return n;
  };
}
