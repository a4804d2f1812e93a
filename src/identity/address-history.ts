/**
 * Who held each Kubernetes address, and since when. Pod IPs are handed out again: a flow must be
 * named by the object that held its address when the flow began, not by whoever holds it when
 * the flow is judged. So each address keeps its claims with their intervals: the current ones,
 * and a few ended ones for as long as flows that began under them may still be judged.
 *
 * At a time T the holders of an address are, in this order of preference:
 * 1. the claims live at T (not of a finished pod). Nodes and the hostNetwork pods on them share
 *    their addresses; any other two live claims are a conflict, counted when the second is made,
 *    and the one made later wins (a deleted pod's delete may come after its IP's next pod), the
 *    first made among claims made at once (a snapshot: its order);
 * 2. else a claim released (its object deleted, or moved off the address) at most `graceSeconds`
 *    before T, and the claims of finished pods, which hold an IP nothing live holds: chosen alike.
 */
import { formatAddress } from '../net/ip-address.js';
import type { KubernetesObjectIdentity } from './endpoint-identity.js';

export interface Claim {
  /** The claiming object's key (IdentityUpdate.key). */
  readonly key: string;
  readonly identity: KubernetesObjectIdentity;
  /** Nodes and hostNetwork pods, which hold their node's addresses together. */
  readonly shared: boolean;
  /** A finished pod's: it yields to any live claim, without a conflict. */
  readonly weak: boolean;
  readonly since: number;
  /** Infinity while held. */
  until: number;
  /** True when the claim ended because its object left the address (deleted, moved), not because a new version replaced it. */
  released: boolean;
  /** Order of making: ties of `since` go to the claim made first. */
  readonly seq: number;
}

export interface AddressConflict {
  /** The address, as flow records write it. */
  readonly address: string;
  /** The object chosen from now on, and the other. */
  readonly chosen: KubernetesObjectIdentity;
  readonly other: KubernetesObjectIdentity;
}

export interface HoldersAt {
  readonly holders: readonly KubernetesObjectIdentity[];
  /** The holders stay these for every time in [from, until). */
  readonly from: number;
  readonly until: number;
}

export interface AddressHistoryOptions {
  /** Seconds a released claim still names its address for flows that begin after. Default 60. */
  readonly graceSeconds?: number;
  /** Seconds an ended claim is kept for flows that began under it. Default 3600 (twice the flow table's active timeout). */
  readonly retentionSeconds?: number;
  /** Ended claims kept per address at most, the latest ended kept. Default 8. */
  readonly maxEndedClaims?: number;
}

const RESOURCE_ORDER = { node: 0, pod: 1, service: 2 } as const;
const NONE: readonly KubernetesObjectIdentity[] = Object.freeze([]);
/** Most addresses a capture meets were never held by any object: one answer for them all. */
const NEVER_HELD: HoldersAt = Object.freeze({ holders: NONE, from: -Infinity, until: Infinity });

interface Address {
  readonly words: Uint32Array;
  claims: Claim[];
}

export class AddressHistory {
  readonly graceSeconds: number;
  private readonly retentionSeconds: number;
  private readonly maxEndedClaims: number;
  private readonly addresses = new Map<string, Address>();
  /** Ended claims in the order they ended, to forget them after the retention time. */
  private ended: { readonly address: string; readonly claim: Claim }[] = [];
  /** Entries of `ended` whose claim was dropped early (past maxEndedClaims): compacted away once they are half. */
  private droppedEarly = 0;
  private seq = 0;
  private conflictCount = 0;

  constructor(options: AddressHistoryOptions = {}, private readonly onConflict?: (conflict: AddressConflict) => void) {
    this.graceSeconds = options.graceSeconds ?? 60;
    this.retentionSeconds = Math.max(this.graceSeconds, options.retentionSeconds ?? 3600);
    this.maxEndedClaims = options.maxEndedClaims ?? 8;
  }

  /** Two live claims on one address, since this history began. */
  get conflicts(): number {
    return this.conflictCount;
  }

  /**
   * Ended claims held, for the retention time at most: at most maxEndedClaims per address plus as
   * many dropped early and not yet compacted away, whatever the churn.
   */
  get endedClaims(): number {
    return this.ended.length;
  }

  /** Addresses with any claim, live or ended. */
  get size(): number {
    return this.addresses.size;
  }

  /**
   * `key` holds `words` from `at` with this identity, ending the claim it held there before, if
   * any. Returns the address key.
   */
  claim(words: Uint32Array, key: string, identity: KubernetesObjectIdentity, shared: boolean, weak: boolean, at: number): string {
    const id = addressKey(words);
    let address = this.addresses.get(id);
    if (address === undefined) {
      address = { words, claims: [] };
      this.addresses.set(id, address);
    }
    this.end(id, address, key, at, false);
    // Ending a claim that never held may have emptied and forgotten the address.
    this.addresses.set(id, address);
    const claim: Claim = { key, identity, shared, weak, since: at, until: Infinity, released: false, seq: this.seq++ };
    if (!weak) {
      const rival = address.claims.find((c) => c.until === Infinity && !c.weak && !(c.shared && shared));
      if (rival !== undefined) {
        this.conflictCount++;
        const later = rival.since < at;
        this.onConflict?.({ address: formatAddress(words), chosen: later ? identity : rival.identity, other: later ? rival.identity : identity });
      }
    }
    address.claims.push(claim);
    return id;
  }

  /** `key` leaves `words` at `at` (deleted, or moved elsewhere). */
  release(words: ArrayLike<number>, key: string, at: number): void {
    const id = addressKey(words);
    const address = this.addresses.get(id);
    if (address !== undefined) this.end(id, address, key, at, true);
  }

  /** The holders of the address at time `at`, and the interval they hold it unchanged. */
  holdersAt(words: ArrayLike<number>, at: number): HoldersAt {
    // Without Kubernetes sources (an offline run on inventories alone) no key need be made.
    const address = this.addresses.size === 0 ? undefined : this.addresses.get(addressKey(words));
    if (address === undefined) return NEVER_HELD;
    const grace = this.graceSeconds;
    const claims = address.claims;
    const live = claims.filter((c) => !c.weak && c.since <= at && at < c.until);
    const chosen = live.length > 0 ? live : claims.filter((c) => (c.weak ? c.since <= at && at < c.until : c.released && c.until <= at && at < c.until + grace));
    let from = -Infinity;
    let until = Infinity;
    for (const c of claims) {
      const bounds = c.released ? [c.since, c.until, c.until + grace] : [c.since, c.until];
      for (const b of bounds) {
        if (b <= at && b > from) from = b;
        if (b > at && b < until) until = b;
      }
    }
    return { holders: pick(chosen), from, until };
  }

  /** Forgets ended claims older than the retention time; returns the keys of the addresses changed. */
  expire(now: number): string[] {
    const changed: string[] = [];
    let i = 0;
    for (; i < this.ended.length && this.ended[i].claim.until + this.retentionSeconds <= now; i++) {
      const { address: id, claim } = this.ended[i];
      const address = this.addresses.get(id);
      if (address === undefined || !address.claims.includes(claim)) {
        this.droppedEarly--;
        continue;
      }
      this.drop(id, address, claim);
      changed.push(id);
    }
    if (i > 0) this.ended = this.ended.slice(i);
    return changed;
  }

  /** The mapped words of an address key this history holds. */
  wordsOf(id: string): Uint32Array | undefined {
    return this.addresses.get(id)?.words;
  }

  private end(id: string, address: Address, key: string, at: number, released: boolean): void {
    const current = address.claims.find((c) => c.key === key && c.until === Infinity);
    if (current === undefined) return;
    current.until = at;
    current.released = released;
    // A claim that never held (made and ended at one time, as in one snapshot) is no history.
    if (at <= current.since) {
      this.drop(id, address, current);
      return;
    }
    this.ended.push({ address: id, claim: current });
    const ended = address.claims.filter((c) => c.until !== Infinity);
    if (ended.length > this.maxEndedClaims) {
      const oldest = ended.reduce((a, b) => (b.until < a.until ? b : a));
      this.drop(id, address, oldest);
      // Its entry in `ended` would hold the claim, and its identity, for the whole retention time.
      this.droppedEarly++;
      if (this.droppedEarly * 2 > this.ended.length) this.compact();
    }
  }

  /** Keeps only the entries of `ended` whose claim is still held. */
  private compact(): void {
    this.ended = this.ended.filter(({ address, claim }) => this.addresses.get(address)?.claims.includes(claim) === true);
    this.droppedEarly = 0;
  }

  private drop(id: string, address: Address, claim: Claim): void {
    address.claims = address.claims.filter((c) => c !== claim);
    if (address.claims.length === 0) this.addresses.delete(id);
  }
}

/**
 * The claim made latest wins (the first made among those made at once); when it is shared, every
 * shared claim holds with it. Nodes first, then pods, then Services, each in the order made.
 */
function pick(claims: readonly Claim[]): readonly KubernetesObjectIdentity[] {
  if (claims.length === 0) return NONE;
  let winner = claims[0];
  for (const c of claims) if (c.since > winner.since || (c.since === winner.since && c.seq < winner.seq)) winner = c;
  if (!winner.shared) return [winner.identity];
  return claims
    .filter((c) => c.shared)
    .sort((a, b) => RESOURCE_ORDER[a.identity.resource] - RESOURCE_ORDER[b.identity.resource] || a.seq - b.seq)
    .map((c) => c.identity);
}

/** `10.1.0.5: pod shop/new chosen over pod shop/old`, for logs. */
export function describeConflict(conflict: AddressConflict): string {
  const show = (o: KubernetesObjectIdentity): string => `${o.resource} ${o.namespace === undefined ? '' : `${o.namespace}/`}${o.name}`;
  return `${conflict.address}: ${show(conflict.chosen)} chosen over ${show(conflict.other)}`;
}

export function addressKey(words: ArrayLike<number>): string {
  return `${words[0]},${words[1]},${words[2]},${words[3]}`;
}

export function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
