/**
 * Random sequences of pod upserts and deletes, with lookups at random times between them, against
 * a naive model that keeps every interval and applies the attribution rules literally: the live
 * claim made latest (the first made among ties), else a claim released within the grace period.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import type { IdentityUpdate } from '../../src/identity/identity-source.js';
import { parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { pod } from '../audit/audit-fixtures.js';

const GRACE = 7;
const PODS = ['a', 'b', 'c', 'd'];
const IPS = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];

interface Interval {
  readonly pod: string;
  readonly ip: string;
  readonly since: number;
  until: number;
  readonly seq: number;
}

class NaiveModel {
  private readonly intervals: Interval[] = [];
  private readonly current = new Map<string, Interval>();
  private seq = 0;

  upsert(name: string, ip: string, at: number): void {
    const open = this.current.get(name);
    if (open?.ip === ip) return;
    if (open !== undefined) this.end(open, at);
    const interval = { pod: name, ip, since: at, until: Infinity, seq: this.seq++ };
    this.intervals.push(interval);
    this.current.set(name, interval);
  }

  delete(name: string, at: number): void {
    const open = this.current.get(name);
    if (open !== undefined) this.end(open, at);
    this.current.delete(name);
  }

  holder(ip: string, at: number): string[] {
    const here = this.intervals.filter((i) => i.ip === ip && i.since < i.until);
    const live = here.filter((i) => i.since <= at && at < i.until);
    const candidates = live.length > 0 ? live : here.filter((i) => i.until <= at && at < i.until + GRACE);
    if (candidates.length === 0) return [];
    const winner = candidates.reduce((w, i) => (i.since > w.since || (i.since === w.since && i.seq < w.seq) ? i : w));
    return [winner.pod];
  }

  private end(interval: Interval, at: number): void {
    interval.until = at;
  }
}

/** Pod objects read once per (pod, ip): parsing is not what is under test. */
const upserts = new Map<string, IdentityUpdate>();
function upsertOf(name: string, ip: string): IdentityUpdate {
  const key = `${name}@${ip}`;
  let update = upserts.get(key);
  if (update === undefined) {
    const object = parseKubernetesSnapshot(JSON.stringify({ kind: 'List', items: [pod({ namespace: 'n', name, ip })] }), 'p.json').pods[0];
    update = { op: 'upsert', key: name, object };
    upserts.set(key, update);
  }
  return update;
}

type Step =
  | { readonly kind: 'upsert'; readonly pod: string; readonly ip: string; readonly dt: number }
  | { readonly kind: 'delete'; readonly pod: string; readonly dt: number }
  | { readonly kind: 'lookup'; readonly ip: string; readonly back: number | null };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), pod: fc.constantFrom(...PODS), ip: fc.constantFrom(...IPS), dt: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), pod: fc.constantFrom(...PODS), dt: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('lookup' as const), ip: fc.constantFrom(...IPS), back: fc.option(fc.integer({ min: -3, max: 30 })) }),
);

describe('IdentityIndex against a naive model', () => {
  it('names every address at every time as the model does, through any sequence of upserts and deletes', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const index = new IdentityIndex({}, { graceSeconds: GRACE, retentionSeconds: 1e9, maxEndedClaims: 1000 });
        const model = new NaiveModel();
        let now = 0;
        for (const step of steps) {
          if (step.kind === 'lookup') {
            // `back` seconds before now (a flow that began then), or without a time: now.
            const time = step.back === null ? undefined : now - step.back;
            const expected = time === undefined ? model.holder(step.ip, Number.MAX_VALUE) : model.holder(step.ip, time);
            expect(index.identify(step.ip, time).kubernetes.map((o) => o.name), `${step.ip} at ${time}`).toEqual(expected);
            continue;
          }
          now += step.dt;
          if (step.kind === 'upsert') {
            model.upsert(step.pod, step.ip, now);
            index.apply(now, [upsertOf(step.pod, step.ip)]);
          } else {
            model.delete(step.pod, now);
            index.apply(now, [{ op: 'delete', key: step.pod, kind: 'pod' }]);
          }
        }
        for (const ip of IPS) for (let t = -2; t <= now + GRACE + 1; t++) expect(index.identify(ip, t).kubernetes.map((o) => o.name), `${ip} at ${t}`).toEqual(model.holder(ip, t));
      }),
      { numRuns: 300 },
    );
  });
});
