/** Basic auth's cost bounds, on a hand-moved clock: the verified cache, per-address throttling, the queue and the loop-time budget. */
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BasicAuth, DEFAULT_BASIC_AUTH_LIMITS, type BasicAuthLimits } from '../../src/export/basic-auth.js';

const users = new Map([['prometheus', bcrypt.hashSync('s3cret', 4)]]);
const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const made: BasicAuth[] = [];
afterAll(() => Promise.all(made.map((a) => a.close())));

function auth(limits: Partial<BasicAuthLimits>, now: () => number): BasicAuth {
  const a = new BasicAuth(users, { ...DEFAULT_BASIC_AUTH_LIMITS, ...limits }, now);
  made.push(a);
  return a;
}

describe('BasicAuth', () => {
  it('tells missing, wrong and right credentials apart', async () => {
    const a = auth({}, () => 0);
    expect(await a.check(undefined, '10.0.0.1')).toBe('missing');
    expect(await a.check('Bearer x', '10.0.0.1')).toBe('missing');
    expect(await a.check(header('prometheus', 'nope'), '10.0.0.1')).toBe('wrong');
    expect(await a.check(header('nobody', 's3cret'), '10.0.0.1')).toBe('wrong');
    expect(await a.check(header('prometheus', 's3cret'), '10.0.0.1')).toBe('ok');
  });

  it('throttles an address after its failures, until its window ends; verified credentials still pass', async () => {
    let t = 0;
    const a = auth({ failuresPerAddress: 3, windowMs: 60_000 }, () => t);
    expect(await a.check(header('prometheus', 's3cret'), '10.0.0.9')).toBe('ok');
    for (let i = 0; i < 3; i++) expect(await a.check(header('prometheus', `wrong${i}`), '10.0.0.1')).toBe('wrong');
    expect(await a.check(header('prometheus', 'wrong3'), '10.0.0.1')).toBe('throttled');
    // Remembered from 10.0.0.9: no check needed, so no throttle either.
    expect(await a.check(header('prometheus', 's3cret'), '10.0.0.1')).toBe('ok');
    expect(await a.check(header('prometheus', 'wrong4'), '10.0.0.2')).toBe('wrong');
    t = 60_000;
    expect(await a.check(header('prometheus', 'wrong5'), '10.0.0.1')).toBe('wrong');
  });

  it('remembers failures of a bounded number of addresses, forgetting the oldest', async () => {
    const a = auth({ failuresPerAddress: 1, addresses: 2 }, () => 0);
    for (const address of ['10.0.0.1', '10.0.0.2']) expect(await a.check(header('prometheus', 'x'), address)).toBe('wrong');
    expect(await a.check(header('prometheus', 'x'), '10.0.0.1')).toBe('throttled');
    expect(await a.check(header('prometheus', 'x'), '10.0.0.3')).toBe('wrong');
    // 10.0.0.1 was the oldest entry: forgotten when 10.0.0.3 came.
    expect(await a.check(header('prometheus', 'x'), '10.0.0.1')).toBe('wrong');
    expect(await a.check(header('prometheus', 'x'), '10.0.0.3')).toBe('throttled');
  });

  it('checks one at a time and throttles what does not fit the queue', async () => {
    const a = auth({ queue: 1 }, () => 0);
    const outcomes = await Promise.all([1, 2, 3].map((i) => a.check(header('prometheus', `wrong${i}`), `10.0.0.${i}`)));
    expect(outcomes).toEqual(['wrong', 'throttled', 'throttled']);
  });

  it('stops checking when the loop-time budget is spent', async () => {
    // Every look at the clock moves it 100 ms on, so each check is measured at 100 ms.
    let t = 0;
    const a = auth({ bcryptBurstMs: 500, bcryptMsPerSecond: 0 }, () => (t += 100));
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) outcomes.push(await a.check(header('prometheus', `wrong${i}`), `10.0.1.${i}`));
    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'throttled', 'throttled', 'throttled']);
  });
});
