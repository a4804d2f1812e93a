import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/export/iso-time.js';

describe('isoTime: ISO 8601 to the microsecond', () => {
  it('keeps the microseconds a capture records', () => {
    expect(isoTime(1714564800.123456)).toBe('2024-05-01T12:00:00.123456Z');
    expect(isoTime(1714564800)).toBe('2024-05-01T12:00:00.000000Z');
    expect(isoTime(0.000001)).toBe('1970-01-01T00:00:00.000001Z');
    expect(isoTime(-0.5)).toBe('1969-12-31T23:59:59.500000Z');
  });

  it('rounds to the nearest microsecond, carrying into the next second', () => {
    expect(isoTime(1714564800.9999996)).toBe('2024-05-01T12:00:01.000000Z');
  });

  it('a day reused from the call before gives the same text as a fresh one', () => {
    const times = [1714564800.5, 1714564800.25, 1714564801.75, 1714651199.125, 1714651200.5, 1714564800.125, 86399.5];
    const fresh = times.map((t) => new Date(Math.floor(t) * 1000).toISOString().slice(0, 19));
    expect(times.map(isoTime)).toEqual(fresh.map((s, i) => `${s}.${String(Math.round((times[i] % 1) * 1e6)).padStart(6, '0')}Z`));
  });

  it('seconds kept in one slot of the table (64 apart), alternating, each get their own text', () => {
    const times = [1714564800.5, 1714564864.25, 1714564800.75, 1714564864.5, 1714564928.125, 1714564800.000001];
    expect(times.map(isoTime)).toEqual(times.map((t) => `${new Date(Math.floor(t) * 1000).toISOString().slice(0, 19)}.${String(Math.round((t % 1) * 1e6)).padStart(6, '0')}Z`));
  });

  it('a time no Date can hold is written as its seconds, not thrown', () => {
    expect(isoTime(1e300)).toBe('1e+300');
  });
});
