import { grown } from './typed-arrays.js';

const NONE = -1;

/**
 * Intrusive doubly-linked lists of flow slots, one per timeout class, each ordered by last
 * activity (touching a slot moves it to its list's tail). The head of each list is therefore the
 * next flow of that class to time out, and expiry costs O(1) per flow, with no per-packet scan.
 */
export class TimeoutLists {
  private prev: Int32Array;
  private next: Int32Array;
  private listOf: Int8Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;

  constructor(capacity: number, lists: number) {
    this.prev = new Int32Array(capacity).fill(NONE);
    this.next = new Int32Array(capacity).fill(NONE);
    this.listOf = new Int8Array(capacity).fill(NONE);
    this.heads = new Int32Array(lists).fill(NONE);
    this.tails = new Int32Array(lists).fill(NONE);
  }

  head(list: number): number {
    return this.heads[list];
  }

  /** Moves `slot` to the tail of `list` (from whichever list it was on, if any). */
  touch(slot: number, list: number): void {
    if (this.listOf[slot] === list && this.tails[list] === slot) return;
    this.remove(slot);
    const tail = this.tails[list];
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) this.heads[list] = slot;
    else this.next[tail] = slot;
    this.tails[list] = slot;
    this.listOf[slot] = list;
  }

  remove(slot: number): void {
    const list = this.listOf[slot];
    if (list === NONE) return;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p === NONE) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NONE) this.tails[list] = p;
    else this.prev[n] = p;
    this.listOf[slot] = NONE;
  }

  grow(capacity: number): void {
    const old = this.prev.length;
    this.prev = grown(this.prev, capacity).fill(NONE, old);
    this.next = grown(this.next, capacity).fill(NONE, old);
    this.listOf = grown(this.listOf, capacity).fill(NONE, old);
  }
}
