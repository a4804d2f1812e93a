import { excerpt } from '../source-position-error.js';
import type { PortRange } from './matrix.js';

/** Result of parsing one written value: the value, or why it is wrong. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const MAX_PORT = 65535;

/** A port list item: `443` or `"30000-32767"` (schema-checked shape). */
export function parsePortItem(item: number | string): Parsed<PortRange> {
  if (typeof item === 'number') {
    if (!Number.isInteger(item) || item < 1 || item > MAX_PORT) return { ok: false, error: `port ${item} is out of range 1-${MAX_PORT}` };
    return { ok: true, value: { from: item, to: item } };
  }
  const m = /^(\d+)-(\d+)$/.exec(item);
  if (m === null) return { ok: false, error: `${excerpt(item)} is not a port or a range "FIRST-LAST"` };
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from < 1 || to > MAX_PORT) return { ok: false, error: `port range ${excerpt(item)} is out of range 1-${MAX_PORT}` };
  if (from > to) return { ok: false, error: `port range ${excerpt(item)} is reversed: ${from} is above ${to}` };
  return { ok: true, value: { from, to } };
}

/** Sorted copy; the index (into `ranges`) of the first range that overlaps one before it, or -1. */
export function sortPortRanges(ranges: readonly PortRange[]): { sorted: PortRange[]; overlapAt: number } {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].from - ranges[b].from || ranges[a].to - ranges[b].to);
  for (let k = 1; k < order.length; k++) {
    if (ranges[order[k]].from <= ranges[order[k - 1]].to) return { sorted: [], overlapAt: Math.max(order[k], order[k - 1]) };
  }
  return { sorted: order.map((i) => ranges[i]), overlapAt: -1 };
}

export function portRangesOverlap(a: readonly PortRange[], b: readonly PortRange[]): PortRange | null {
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) return { from, to };
    }
  }
  return null;
}

export function formatPortRange(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}

/** CIDR parsing is shared with the identity sources, below both in the pipeline. */
export { parseCidr } from '../net/cidr.js';
