/**
 * Basic auth against the web config's bcrypt hashes, at a bounded cost. bcrypt is slow by design
 * (about 70 ms per check at cost 10 with bcryptjs): checked on the event loop as they came, which
 * also reads the captures, 500 wrong attempts at once held a right scrape for 94 s. So:
 *
 * - credentials once verified are remembered, keyed by an HMAC of user and password under a key
 *   made at start (never the password itself), and pass without bcrypt;
 * - a client address that failed `failuresPerAddress` times within `windowMs` is answered
 *   "throttled" without a check until its window ends (the oldest of `addresses` is forgotten first);
 * - checks run on a worker thread (bcrypt-worker.ts), one at a time, at most `queue` waiting,
 *   within a budget of time (`bcryptMsPerSecond`, saved up to `bcryptBurstMs`); beyond it
 *   attempts are throttled. The budget keeps a flood from taking a whole core of the node.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BcryptWorker } from './bcrypt-worker.js';

/** `ok`: let it in; `missing`: no credentials given; `wrong`: checked and refused; `throttled`: refused unchecked. */
export type AuthOutcome = 'ok' | 'missing' | 'wrong' | 'throttled';

export interface BasicAuthLimits {
  readonly failuresPerAddress: number;
  readonly windowMs: number;
  /** Client addresses whose failures are remembered. */
  readonly addresses: number;
  /** Verified credentials remembered; the oldest goes first. */
  readonly verified: number;
  readonly bcryptMsPerSecond: number;
  readonly bcryptBurstMs: number;
  /** Checks waiting for their turn. */
  readonly queue: number;
}

export const DEFAULT_BASIC_AUTH_LIMITS: BasicAuthLimits = {
  failuresPerAddress: 5,
  windowMs: 60_000,
  addresses: 1024,
  verified: 64,
  bcryptMsPerSecond: 250,
  bcryptBurstMs: 1000,
  queue: 8,
};

/** bcrypt of a random string, checked against when the user is unknown, so timing does not tell which users exist. */
const DUMMY_HASH = '$2b$10$MGyg73tkSX90QsTAFlpxX.85p8ggadNNpXtH97bGwxmFcYbZFj0g.';

export class BasicAuth {
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Set<string>();
  /** Client address -> failures since `since` (ms); in insertion order, the oldest first. */
  private readonly failures = new Map<string, { count: number; since: number }>();
  private budgetMs: number;
  private budgetAt: number;
  private waiting = 0;
  private turn: Promise<void> = Promise.resolve();
  private readonly bcrypt = new BcryptWorker();

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly limits: BasicAuthLimits = DEFAULT_BASIC_AUTH_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.budgetMs = limits.bcryptBurstMs;
    this.budgetAt = now();
  }

  /** Seconds a throttled client is told to wait (Retry-After). */
  get retryAfterSeconds(): number {
    return Math.ceil(this.limits.windowMs / 1000);
  }

  /** Stops the worker thread. */
  close(): Promise<void> {
    return this.bcrypt.close();
  }

  /** Judges an Authorization header from a client address. */
  async check(authorization: string | undefined, clientAddress: string): Promise<AuthOutcome> {
    if (authorization === undefined || !authorization.startsWith('Basic ')) return 'missing';
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'missing';
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const key = createHmac('sha256', this.cacheKey).update(user).update('\u0000').update(password).digest('base64');
    if (hash !== undefined && this.verified.has(key)) return 'ok';
    if (this.throttled(clientAddress) || this.waiting >= this.limits.queue) return 'throttled';

    const ok = await this.inTurn(() => this.bcrypt.compare(password, hash ?? DUMMY_HASH));
    if (ok === undefined) return 'throttled';
    if (!ok || hash === undefined) {
      this.fail(clientAddress);
      return 'wrong';
    }
    this.failures.delete(clientAddress);
    if (this.verified.size >= this.limits.verified) this.verified.delete(this.verified.values().next().value!);
    this.verified.add(key);
    return 'ok';
  }

  /** Runs `check` after the checks before it, if the time budget allows; undefined if not. */
  private async inTurn(check: () => Promise<boolean>): Promise<boolean | undefined> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((resolve) => (release = resolve));
    this.waiting++;
    await previous;
    this.waiting--;
    try {
      const start = this.now();
      this.budgetMs = Math.min(this.limits.bcryptBurstMs, this.budgetMs + ((start - this.budgetAt) * this.limits.bcryptMsPerSecond) / 1000);
      this.budgetAt = start;
      if (this.budgetMs <= 0) return undefined;
      const ok = await check();
      // The time from start to answer, waits included: an upper bound of the worker's work.
      this.budgetMs -= this.now() - start;
      return ok;
    } finally {
      release();
    }
  }

  private throttled(address: string): boolean {
    const entry = this.failures.get(address);
    return entry !== undefined && entry.count >= this.limits.failuresPerAddress && this.now() - entry.since < this.limits.windowMs;
  }

  private fail(address: string): void {
    const now = this.now();
    const entry = this.failures.get(address);
    if (entry !== undefined && now - entry.since < this.limits.windowMs) {
      entry.count++;
      return;
    }
    this.failures.delete(address);
    if (this.failures.size >= this.limits.addresses) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(address, { count: 1, since: now });
  }
}
