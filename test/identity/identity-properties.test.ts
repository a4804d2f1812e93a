/**
 * Properties of the inventory and snapshot loaders on hostile input: whatever alias graph, alias
 * bomb, nesting or special file they are given, they return a loaded value or throw one
 * SourcePositionError (one line, a short message), never another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadInventory, parseInventory } from '../../src/identity/inventory.js';
import { loadKubernetesSnapshot, parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { SourcePositionError } from '../../src/source-position-error.js';
import { aliasBombArb, aliasGraphArb, deepNestingArb, specialFiles } from '../support/hostile-yaml.js';
import { tempDir } from '../support/temp-dir.js';

const RUNS = 150;
const MAX_MESSAGE = 400;

/** Runs `load`; it may return anything, or throw one short one-line SourcePositionError. */
function loadsOrPositionError(load: () => unknown): void {
  try {
    load();
  } catch (err) {
    if (!(err instanceof SourcePositionError)) throw err;
    expect(err.message).not.toContain('\n');
    expect(err.message.length, err.message).toBeLessThanOrEqual(MAX_MESSAGE);
  }
}

/** Places where generated YAML goes in an inventory (`@` is replaced by it). */
const INVENTORY_PLACES = [
  '@',
  'entries: @\n',
  'entries:\n  - @\n',
  'entries:\n  - name: a\n    addresses: @\n',
  'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: @\n',
  'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    components: @\n    hostnames: @\n',
];
const inventoryWith = (value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...INVENTORY_PLACES), value).map(([place, v]) => place.replaceAll('@', () => v));

describe('inventory loader properties', () => {
  it('alias graphs: random anchors and aliases, unknown and later aliases, cycles through merge keys', () => {
    fc.assert(fc.property(inventoryWith(aliasGraphArb), (text) => loadsOrPositionError(() => parseInventory(text, 'inv.yaml'))), { numRuns: RUNS });
  });

  it('alias bombs of any width and depth', () => {
    fc.assert(fc.property(aliasBombArb, (bomb) => loadsOrPositionError(() => parseInventory(`${bomb}entries: [*b0]\n`, 'inv.yaml'))), { numRuns: 40 });
  });

  it('nesting of any depth', () => {
    fc.assert(fc.property(inventoryWith(deepNestingArb), (text) => loadsOrPositionError(() => parseInventory(text, 'inv.yaml'))), { numRuns: 40 });
  });
});

/** JSON text nested to any depth, brackets inside strings too, in a kubectl list or not. */
const deepJsonArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"items": [${'['.repeat(n)}${']'.repeat(n)}]}`),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"items": ${'['.repeat(n)}`),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"items": [${'{"a": '.repeat(n)}1${'}'.repeat(n)}]}`),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"items": [{"kind": "Pod", "metadata": {"name": "${'['.repeat(n)}"}, "status": {"podIP": "${'{'.repeat(n)}"}}]}`),
);

describe('snapshot loader properties', () => {
  it('nesting of any depth, and brackets in strings', () => {
    fc.assert(fc.property(deepJsonArb, (text) => loadsOrPositionError(() => parseKubernetesSnapshot(text, 'snap.json'))), { numRuns: 60 });
  });
});

describe('special files', () => {
  const specials = specialFiles(tempDir('identity').path);
  it('an inventory or a snapshot that is not a regular file is refused with one line', () => {
    fc.assert(
      fc.property(fc.constantFrom(...specials), fc.boolean(), (file, asSnapshot) => {
        expect(() => (asSnapshot ? loadKubernetesSnapshot(file) : loadInventory(file))).toThrow(/^\S+: is (a|an) [^\n]*, not a regular file: (a Kubernetes snapshot|an inventory) must be a regular file$/);
      }),
      { numRuns: 30 },
    );
  });
});
