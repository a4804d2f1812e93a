/** The reopening capture's backoff (the reopening itself, on a real veth: test/agent/watch-reopen.test.ts). */
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/capture/reopening-capture.js';

describe('retryDelayMs', () => {
  it('waits 1 s, doubling, never more than 30 s, however many tries', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100, 10_000].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });
});
