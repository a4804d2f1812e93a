import type { FlowObservation, ObservationStats } from './flow-observation.js';

/** How an observation relates to what was known of its kernel entry. */
export const EntryChange = {
  /** The first observation of this entry (or the first after it ended or was forgotten). */
  New: 0,
  /** A later observation of the entry: its counters grew from the last one. */
  Continuing: 1,
  /** The counters went backwards or the first packet moved: the kernel began the entry anew. */
  Restarted: 2,
} as const;

/** The last cumulative counters of one kernel entry, oriented lower endpoint first. */
interface EntryCounters {
  firstSeen: number;
  packets0: number;
  packets1: number;
  bytes0: number;
  bytes1: number;
  flags0: number;
  flags1: number;
  laterFragments: number;
}

/**
 * The kernel entries the table has counters from, keyed by flow: turns each observation's
 * cumulative counters into what grew since the entry's last one. Kept apart from the flow slots
 * because an entry outlives the table's flow when the table ends it first (an idle or active
 * timeout, an eviction) and the kernel keeps counting. Bounded: entries the kernel never said
 * ended are forgotten, least recently observed first, past `bound` (and counted).
 */
export class ObservedEntries {
  /** What grew in the last advance(): per direction, lower endpoint to higher first. */
  packets0 = 0;
  packets1 = 0;
  bytes0 = 0;
  bytes1 = 0;
  /** SEEN_* bits not seen before. */
  flags0 = 0;
  flags1 = 0;
  laterFragments = 0;
  private readonly entries = new Map<string, EntryCounters>();

  constructor(private readonly bound: number, private readonly stats: ObservationStats) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Takes the entry's new cumulative counters (`aIsLower`: A is the lower endpoint) and leaves
   * what grew in this object's fields; returns the EntryChange. An `ended` entry is forgotten.
   */
  advance(key: string, o: FlowObservation, aIsLower: boolean): number {
    const lower = aIsLower ? o.aToB : o.bToA;
    const higher = aIsLower ? o.bToA : o.aToB;
    const laterFragments = o.laterFragments ?? 0;
    const last = this.entries.get(key);
    let change: number = EntryChange.New;
    if (last !== undefined) {
      this.entries.delete(key); // re-inserted below: the Map's order is then least recently observed first
      const backwards =
        lower.packets < last.packets0 || higher.packets < last.packets1 || lower.bytes < last.bytes0 || higher.bytes < last.bytes1 || laterFragments < last.laterFragments;
      change = backwards || o.firstSeen !== last.firstSeen ? EntryChange.Restarted : EntryChange.Continuing;
    }
    if (change === EntryChange.Continuing) {
      this.packets0 = lower.packets - last!.packets0;
      this.packets1 = higher.packets - last!.packets1;
      this.bytes0 = lower.bytes - last!.bytes0;
      this.bytes1 = higher.bytes - last!.bytes1;
      this.flags0 = lower.tcpFlags & ~last!.flags0;
      this.flags1 = higher.tcpFlags & ~last!.flags1;
      this.laterFragments = laterFragments - last!.laterFragments;
    } else {
      if (change === EntryChange.Restarted) this.stats.restarted++;
      this.packets0 = lower.packets;
      this.packets1 = higher.packets;
      this.bytes0 = lower.bytes;
      this.bytes1 = higher.bytes;
      this.flags0 = lower.tcpFlags;
      this.flags1 = higher.tcpFlags;
      this.laterFragments = laterFragments;
    }
    if (o.ended === true) return change;
    const kept = last ?? { firstSeen: 0, packets0: 0, packets1: 0, bytes0: 0, bytes1: 0, flags0: 0, flags1: 0, laterFragments: 0 };
    if (change !== EntryChange.Continuing) kept.flags0 = kept.flags1 = 0;
    kept.firstSeen = o.firstSeen;
    kept.packets0 = lower.packets;
    kept.packets1 = higher.packets;
    kept.bytes0 = lower.bytes;
    kept.bytes1 = higher.bytes;
    kept.flags0 |= lower.tcpFlags;
    kept.flags1 |= higher.tcpFlags;
    kept.laterFragments = laterFragments;
    this.entries.set(key, kept);
    if (this.entries.size > this.bound) {
      this.entries.delete(this.entries.keys().next().value!);
      this.stats.forgotten++;
    }
    return change;
  }
}

/** The text an entry is known by: protocol, both endpoints' words and the ports word, as 16-bit char codes (no number is printed). */
export function entryKey(protocol: number, lo: Int32Array, hi: Int32Array, ports: number): string {
  return String.fromCharCode(
    protocol,
    lo[0] >>> 16, lo[0] & 0xffff, lo[1] >>> 16, lo[1] & 0xffff, lo[2] >>> 16, lo[2] & 0xffff, lo[3] >>> 16, lo[3] & 0xffff,
    hi[0] >>> 16, hi[0] & 0xffff, hi[1] >>> 16, hi[1] & 0xffff, hi[2] >>> 16, hi[2] & 0xffff, hi[3] >>> 16, hi[3] & 0xffff,
    ports >>> 16, ports & 0xffff,
  );
}
