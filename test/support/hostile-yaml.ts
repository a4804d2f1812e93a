import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * YAML shapes and files that attack a loader, for the loaders' tests and properties: alias bombs
 * ("billion laughs"), alias graphs, deep nesting, files that are not regular.
 */

/**
 * Map lines `a0:` ... `aN:` (at `indent`): a0 a list of nine strings, each next level a list of
 * nine aliases of the one before, so level k stands for about 10 * 9^k values. With the document's
 * own values, the first `*a4` (in level 5) is where expansion crosses 100,000.
 */
export function aliasBomb(levels: number, indent = ''): string {
  let text = `${indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n`;
  for (let i = 1; i <= levels; i++) text += `${indent}a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  return text;
}

const ANCHORS = ['a', 'b', 'c', 'd'] as const;

/**
 * YAML flow values over a few anchor names: scalars, lists, maps (with `<<` merge keys), anchored
 * values and aliases, so a draw holds aliases to earlier anchors, to later or absent ones, to the
 * value they sit in (a cycle, through a merge key or not), and anchors redefined.
 */
export const aliasGraphArb: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('x', '1', 'true', '"q"', '~', '10.0.0.1', 'a-1'),
    fc.constantFrom(...ANCHORS).map((n) => `*${n}`),
    fc.tuple(fc.constantFrom(...ANCHORS), tie('value')).map(([n, v]) => `&${n} ${v}`),
    fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('k', 'name', '<<', 'addresses', 'labels', 'match'), tie('value')), { maxLength: 4 })
      .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
})).value;

/** Alias bombs of any width and depth: `levels` lists of `width` aliases of the level before. */
export const aliasBombArb: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 14 })).map(([width, levels]) => {
  let text = `b0: &b0 [${Array(width).fill('lol').join(', ')}]\n`;
  for (let i = 1; i <= levels; i++) text += `b${i}: &b${i} [${Array(width).fill(`*b${i - 1}`).join(', ')}]\n`;
  return text;
});

/** A value nested `depth` levels, in flow brackets or block indentation. */
export const deepNestingArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 60_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 60_000 }).map((n) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 60_000 }).map((n) => '['.repeat(n)),
  fc.integer({ min: 1, max: 300 }).map((n) => `\n${Array.from({ length: n }, (_, i) => `${' '.repeat(2 * i + 2)}k:`).join('\n')} 1`),
);

/**
 * Files that are not regular, made in `dir` with a .yaml name (so an include may name them):
 * a device, a FIFO, a directory, /proc files, and links to them. Returns their paths.
 */
export function specialFiles(dir: string): string[] {
  const made: string[] = [];
  const link = (name: string, target: string): void => {
    symlinkSync(target, join(dir, name));
    made.push(join(dir, name));
  };
  link('zero.yaml', '/dev/zero');
  link('null.yaml', '/dev/null');
  link('environ.yaml', '/proc/self/environ');
  link('status.yaml', '/proc/self/status');
  execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
  made.push(join(dir, 'fifo.yaml'));
  mkdirSync(join(dir, 'dir.yaml'));
  made.push(join(dir, 'dir.yaml'));
  return made;
}
