/**
 * Golden tests, Zeek's baseline habit: each run of golden-runs.ts is made with the built CLI and
 * its outputs compared byte for byte with the files under test/golden/, after normalising only
 * what must vary between checkouts (the repository's path, in the matrix's file list). A change
 * of output is reviewed as the diff of those files: `npm run golden:update` rewrites them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_RUNS, type GoldenRun } from './golden-runs.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/bin/flowaudit.js');
const GOLDEN = join(ROOT, 'test/golden');
/** Set by `npm run golden:update`: write the outputs as the new golden files instead of comparing. */
const UPDATE = process.env.FLOWAUDIT_GOLDEN_UPDATE === '1';

const scratch = tempDir('golden');

/** The run's outputs by golden file name, normalised. */
function produce(run: GoldenRun, index: number): Map<string, string> {
  const out = scratch.file(String(index));
  mkdirSync(out);
  const r = spawnSync(process.execPath, [CLI, ...run.args, ...run.reports.flatMap((name) => ['--output', join(out, name)])], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  // analyze exits 1 on violations: every profile capture has deliberate ones.
  if (r.status !== 0 && !(run.args[0] === 'analyze' && r.status === 1)) throw new Error(`flowaudit ${run.args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const outputs = new Map([[run.stdout, normalise(r.stdout)]]);
  for (const name of run.reports) outputs.set(name, normalise(readFileSync(join(out, name), 'utf8')));
  return outputs;
}

/** The checkout's path, where the matrix's files are listed, as a path relative to it. */
function normalise(text: string): string {
  return text.replaceAll(`${ROOT}/`, '');
}

/** Where `actual` first differs from the golden file, in one line, or null when they are the same. */
function firstDifference(path: string, actual: string): string | null {
  const shown = path.slice(ROOT.length + 1);
  if (!existsSync(path)) return `${shown}: no golden file; npm run golden:update writes it`;
  const expected = readFileSync(path, 'utf8');
  if (expected === actual) return null;
  const want = expected.split('\n');
  const got = actual.split('\n');
  let line = 0;
  while (line < want.length && line < got.length && want[line] === got[line]) line++;
  const cut = (s: string | undefined) => (s === undefined ? '(end of file)' : s.length > 160 ? `${s.slice(0, 160)}...` : s);
  return `${shown}:${line + 1}: golden ${cut(want[line])}\n  but now ${cut(got[line])}\n(a change meant? npm run golden:update, then review git diff test/golden)`;
}

GOLDEN_RUNS.forEach((run, index) => {
  describe(`flowaudit ${run.args.join(' ')}`, () => {
    const outputs = produce(run, index);
    for (const [name, text] of outputs) {
      const path = join(GOLDEN, run.dir, name);
      it(`${run.dir}/${name}`, () => {
        if (UPDATE) {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, text);
        }
        const difference = firstDifference(path, text);
        if (difference !== null) expect.fail(difference);
      });
    }
  });
});
