/**
 * Properties of the rules loader on hostile YAML: whatever alias graph, alias bomb, nesting or
 * special file a rules file or its include holds, loading gives a Matrix or one MatrixError (one
 * line, a short message), never another exception.
 */
import { basename } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { MatrixError } from '../../src/audit/matrix-error.js';
import { aliasBombArb, aliasGraphArb, deepNestingArb, specialFiles } from '../support/hostile-yaml.js';
import { VALID } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('rules');
let fileNumber = 0;

/** Runs per property: small files, each loaded in milliseconds; enough to have found what these found. */
const RUNS = 150;
/** Longest message: the file name and an excerpt or two of the text. */
const MAX_MESSAGE = 400;

/** Places where generated YAML goes in a rules file (`@` is replaced by it). */
const PLACES = [
  '@',
  'apiVersion: flowaudit.dev/v1\nkind: ConnectionMatrix\nmetadata: @\n',
  VALID.replace('title: T', 'title: @'),
  VALID.replace('- pod: "a-*"', '- @'),
  VALID.replace('ports: [443]', 'ports: @'),
  VALID.replace('security: tls\n', 'security: tls\nx: @\n'),
  `${VALID}include: @\n`,
];

/** Loads `text` as a rules file (or as the include of one); a Matrix or a MatrixError, nothing else. */
function loadsOrMatrixError(text: string, asInclude: boolean): void {
  const name = `p${++fileNumber}.yaml`;
  const path = temp.write(name, text);
  const root = asInclude ? temp.write(`root-${name}`, VALID.replace('metadata:', `include: [./${name}]\nmetadata:`)) : path;
  try {
    loadMatrix(root, { cwd: temp.path });
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    expect(err.message).not.toContain('\n');
    expect(err.message.length, err.message).toBeLessThanOrEqual(MAX_MESSAGE);
  }
}

const placed = (value: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(fc.constantFrom(...PLACES), value).map(([place, v]) => place.replace('@', () => v));

describe('rules loader properties', () => {
  it('alias graphs: random anchors and aliases, unknown and later aliases, cycles through merge keys', () => {
    fc.assert(fc.property(placed(aliasGraphArb), fc.boolean(), loadsOrMatrixError), { numRuns: RUNS });
  });

  it('alias bombs of any width and depth, in the file or an include', () => {
    fc.assert(fc.property(fc.tuple(fc.constantFrom(...PLACES), aliasBombArb).map(([place, bomb]) => `${bomb}${place.replace('@', 'x')}`), fc.boolean(), loadsOrMatrixError), { numRuns: 40 });
  });

  it('nesting of any depth, in flow brackets or block indentation', () => {
    fc.assert(fc.property(placed(deepNestingArb), fc.boolean(), loadsOrMatrixError), { numRuns: 40 });
  });

  it('special files, named as the rules or as an include', () => {
    const specials = specialFiles(temp.path);
    fc.assert(
      fc.property(fc.constantFrom(...specials), fc.boolean(), (special, asInclude) => {
        const root = asInclude ? temp.write(`inc-${++fileNumber}.yaml`, VALID.replace('metadata:', `include: [./${basename(special)}]\nmetadata:`)) : special;
        expect(() => loadMatrix(root, { cwd: temp.path })).toThrow(MatrixError);
      }),
      { numRuns: 30 },
    );
  });
});
