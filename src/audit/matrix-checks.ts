import type { Component, Connection } from './matrix.js';
import type { Located } from './matrix-build.js';
import { MatrixError } from './matrix-error.js';
import { canonicalSelector } from './matrix-hash.js';
import { formatPortRange, portRangesOverlap } from './matrix-values.js';

/** `FILE:LINE` of a located object, for messages that point back at an earlier definition. */
function where(x: Located<unknown>): string {
  return `${x.doc.shownAs}:${x.doc.position(x.path).line}`;
}

/** Each connection's endpoints are components visible from its file (its own and its includes'). */
export function checkEndpoints(connections: readonly Located<Connection>[], visible: ReadonlySet<string>): MatrixError[] {
  const errors: MatrixError[] = [];
  for (const c of connections) {
    for (const end of ['from', 'to'] as const) {
      const name = c.value[end];
      if (!visible.has(name)) errors.push(c.doc.error([...c.path, end], `connection "${c.value.id}": ${end} names undefined component "${name}"`));
    }
  }
  return errors;
}

/**
 * Adds `next` to the merged components. A name already present must be defined identically
 * (same selectors, exclusions and flags): a file extends a profile, it does not redefine its
 * parts, except a `replaceable` one, which the later definition replaces. Returns the error when
 * it is neither.
 */
export function mergeComponent(merged: Map<string, Located<Component>>, next: Located<Component>): MatrixError | null {
  const earlier = merged.get(next.value.name);
  if (earlier === undefined || earlier.value.replaceable) {
    merged.set(next.value.name, next);
    return null;
  }
  if (sameComponent(earlier.value, next.value)) return null;
  const p = next.doc.keyPosition(['components'], next.value.name);
  return new MatrixError(
    next.doc.shownAs,
    p.line,
    p.column,
    `component "${next.value.name}" is already defined differently at ${earlier.doc.shownAs}:${earlier.value.origin.line}: an including file may repeat a component only identically`,
  );
}

function sameComponent(a: Component, b: Component): boolean {
  return (
    a.context === b.context &&
    a.replaceable === b.replaceable &&
    JSON.stringify(a.selectors.map(canonicalSelector)) === JSON.stringify(b.selectors.map(canonicalSelector)) &&
    JSON.stringify([...a.except].sort()) === JSON.stringify([...b.except].sort())
  );
}

/** Each name a component's `except` lists is another component of the merged matrix. */
export function checkExcept(components: ReadonlyMap<string, Located<Component>>): MatrixError[] {
  const errors: MatrixError[] = [];
  for (const { value: c, doc, path } of components.values()) {
    c.except.forEach((name, i) => {
      if (name === c.name) errors.push(doc.error([...path, 'except', i], `component "${c.name}" cannot except itself`));
      else if (!components.has(name)) errors.push(doc.error([...path, 'except', i], `component "${c.name}": except names undefined component "${name}"`));
    });
  }
  return errors;
}

export function checkDuplicateIds(connections: readonly Located<Connection>[]): MatrixError[] {
  const errors: MatrixError[] = [];
  const seen = new Map<string, Located<Connection>>();
  for (const c of connections) {
    const first = seen.get(c.value.id);
    if (first !== undefined) errors.push(c.doc.error([...c.path, 'id'], `duplicate connection id "${c.value.id}" (first at ${where(first)})`));
    else seen.set(c.value.id, c);
  }
  return errors;
}

/**
 * Two rules that can match the same flow (same protocol, a shared direction, overlapping ports)
 * must agree on what they demand: security, minimum TLS version and initiator. The later one is
 * reported, once, with the first rule it conflicts with. With `initiator: both` a rule covers the
 * reverse direction too.
 */
export function checkConflicts(connections: readonly Located<Connection>[]): MatrixError[] {
  const errors: MatrixError[] = [];
  for (let j = 1; j < connections.length; j++) {
    const b = connections[j].value;
    for (let i = 0; i < j; i++) {
      const a = connections[i].value;
      if (a.protocol !== b.protocol || !shareDirection(a, b)) continue;
      const overlap = portRangesOverlap(a.ports, b.ports);
      if (overlap === null) continue;
      const difference = disagreement(a, b);
      if (difference === null) continue;
      errors.push(
        connections[j].doc.error(
          [...connections[j].path, 'id'],
          `connection "${b.id}" conflicts with "${a.id}" (${where(connections[i])}): both match ${b.from} -> ${b.to} ${b.protocol}/${formatPortRange(overlap)} but ${difference}`,
        ),
      );
      break;
    }
  }
  return errors;
}

function directions(c: Connection): string[] {
  const forward = `${c.from}\u0000${c.to}`;
  return c.initiator === 'both' ? [forward, `${c.to}\u0000${c.from}`] : [forward];
}

function shareDirection(a: Connection, b: Connection): boolean {
  const da = directions(a);
  return directions(b).some((d) => da.includes(d));
}

function disagreement(a: Connection, b: Connection): string | null {
  if (a.security !== b.security) return `security differs (${a.security} vs ${b.security})`;
  if ((a.minTlsVersion ?? 'unset') !== (b.minTlsVersion ?? 'unset')) {
    return `minTlsVersion differs (${a.minTlsVersion ?? 'unset'} vs ${b.minTlsVersion ?? 'unset'})`;
  }
  if (a.initiator !== b.initiator) return `initiator differs (${a.initiator} vs ${b.initiator})`;
  return null;
}
