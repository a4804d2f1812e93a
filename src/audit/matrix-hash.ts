import { createHash } from 'node:crypto';
import type { Component, Connection, Selector, UnmatchedPolicy } from './matrix.js';

/**
 * `sha256:` + hex over what decides verdicts: name, policy, components' selectors and the
 * connections' fields, sorted. File paths, lines, descriptions and citations are left out, so the
 * same matrix hashes the same on every machine and a reworded comment does not change it.
 */
export function matrixHash(
  name: string,
  unmatched: UnmatchedPolicy,
  components: ReadonlyMap<string, Component>,
  connections: readonly Connection[],
): string {
  const canonical = {
    name,
    unmatched,
    components: [...components.values()]
      .sort((a, b) => compare(a.name, b.name))
      .map((c) => ({ name: c.name, context: c.context, selectors: c.selectors.map(canonicalSelector), except: [...c.except].sort(compare) })),
    connections: [...connections]
      .sort((a, b) => compare(a.id, b.id))
      .map((c) => ({
        id: c.id,
        from: c.from,
        to: c.to,
        protocol: c.protocol,
        ports: c.ports.map((p) => [p.from, p.to]),
        security: c.security,
        minTlsVersion: c.minTlsVersion ?? null,
        initiator: c.initiator,
        severity: c.severity,
        optional: c.optional,
      })),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}

/** A selector as plain JSON with sorted label keys: equal selectors give equal text. */
export function canonicalSelector(s: Selector): unknown {
  switch (s.kind) {
    case 'kubernetes':
      return {
        kind: s.kind,
        resource: s.resource,
        namespace: s.namespace ?? null,
        labels: Object.keys(s.labels)
          .sort(compare)
          .map((k) => [k, s.labels[k]]),
      };
    case 'pod':
      return { kind: s.kind, pattern: s.pattern, namespace: s.namespace ?? null };
    case 'cidr':
      return { kind: s.kind, cidrs: s.cidrs.map((c) => c.text) };
    case 'hostname':
      return { kind: s.kind, patterns: [...s.patterns] };
    case 'external':
    case 'internal':
      return { kind: s.kind };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
