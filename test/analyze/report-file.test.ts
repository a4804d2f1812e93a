/** A document report is written part after part, under a temporary name renamed at the end. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/analyze/report-file.js';
import { tempDir } from '../support/temp-dir.js';

describe('writeReport', () => {
  const dir = tempDir('report-file');

  it('writes every part, in order, and leaves only the report', () => {
    const path = dir.file('whole.json');
    writeReport('--output', path, ['{"a":', '"é"', '}\n']);
    expect(readFileSync(path, 'utf8')).toBe('{"a":"é"}\n');
    expect(readdirSync(dir.path).filter((f) => f.startsWith('whole.json'))).toEqual(['whole.json']);
  });

  it('leaves no report, not even half of one, when making a part fails', () => {
    const path = dir.file('half.json');
    function* parts(): Generator<string> {
      yield '{"flows": [';
      throw new Error('a part failed');
    }
    expect(() => writeReport('--output', path, parts())).toThrow('a part failed');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir.path).filter((f) => f.startsWith('half.json'))).toEqual([]);
  });

  it('names the option and the path when the report cannot be opened', () => {
    expect(() => writeReport('--output', dir.file('no/such/dir/r.json'), ['x'])).toThrow(`--output ${dir.file('no/such/dir/r.json')}: cannot write: directory ${dir.file('no/such/dir')} does not exist`);
  });
});
