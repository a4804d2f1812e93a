import { describe, expect, it } from 'vitest';
import { SourcePositionError } from '../src/source-position-error.js';
import { aliasBomb } from './support/hostile-yaml.js';
import { ALIAS_EXPANSION_VALUES, MAX_YAML_DEPTH, parseYaml, plainValue } from '../src/yaml-parse.js';

/** The one-line error parsing `text` throws, as `FILE:LINE:COL: message`. */
function errorOf(text: string): string {
  try {
    parseYaml(text, 'in.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SourcePositionError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('parsed without error');
}


describe('aliases', () => {
  it('an alias bomb is refused at the alias that crosses the bound', () => {
    // Level k stands for about 10 * 9^k values: the first alias of level 4 in level 5 crosses 100,000.
    expect(errorOf(aliasBomb(8))).toMatch(new RegExp(`^in\\.yaml:6:10: aliases expand the document to more than ${ALIAS_EXPANSION_VALUES} values \\(an alias bomb\\?\\)$`));
  });

  it('an alias with no anchor, or only a later one, is refused at the alias', () => {
    expect(errorOf('a: 1\nb: *nope\n')).toBe('in.yaml:2:4: alias *nope has no anchor &nope before it');
    expect(errorOf('b: *x\nc: &x 1\n')).toBe('in.yaml:1:4: alias *x has no anchor &x before it');
  });

  it('an alias inside the value it names is a cycle, merge key or not', () => {
    expect(errorOf('a: &x [1, *x]\n')).toBe('in.yaml:1:11: alias *x is inside the value it names (a cycle)');
    expect(errorOf('a: &x {k: 1, <<: *x}\n')).toBe('in.yaml:1:18: alias *x is inside the value it names (a cycle)');
    expect(errorOf('%YAML 1.1\n---\na: &x {k: 1, <<: *x}\n')).toBe('in.yaml:3:18: alias *x is inside the value it names (a cycle)');
  });

  it('a long anchor name is cut in the message', () => {
    const name = 'n'.repeat(5000);
    expect(errorOf(`a: *${name}\n`)).toBe(`in.yaml:1:4: alias *${'n'.repeat(40)}... has no anchor &${'n'.repeat(40)}... before it`);
  });

  it("many aliases cost linear time (the yaml package's toJS took 14 s for 20,000, 183 s for 80,000)", () => {
    const text = 'a: &a {x: 1}\nb:\n' + '  - *a\n'.repeat(40_000);
    const started = performance.now();
    const value = plainValue(parseYaml(text, 'in.yaml')) as { a: unknown; b: unknown[] };
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(value.b).toHaveLength(40_000);
    expect(value.b[39_999]).toBe(value.a); // shared, not copied
  });

  it('a file sharing one map among many entries stays within the bound', () => {
    const text = 'common: &c {a: 1, b: 2, c: 3, d: 4, e: 5}\nentries:\n' + '  - {name: x, labels: *c}\n'.repeat(12_000); // 132,000 values expanded
    expect(() => parseYaml(text, 'in.yaml')).not.toThrow();
  });
});

describe('nesting', () => {
  it(`nesting deeper than ${MAX_YAML_DEPTH} levels is refused where it crosses the bound`, () => {
    expect(errorOf(`a: ${'['.repeat(MAX_YAML_DEPTH)}${']'.repeat(MAX_YAML_DEPTH)}\n`)).toBe(`in.yaml:1:${3 + MAX_YAML_DEPTH}: nesting deeper than ${MAX_YAML_DEPTH} levels`);
    expect(() => parseYaml(`a: ${'['.repeat(MAX_YAML_DEPTH - 2)}${']'.repeat(MAX_YAML_DEPTH - 2)}\n`, 'in.yaml')).not.toThrow();
  });

  it('nesting that overflows the yaml package is one line too', () => {
    expect(errorOf(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)).toMatch(/^in\.yaml:\d+:\d+: (YAML: )?nesting deeper than 64 levels$/);
    expect(errorOf('- '.repeat(20_000) + 'x\n')).toMatch(/^in\.yaml:\d+:\d+: (YAML: )?nesting deeper than 64 levels$/);
  });
});

describe('plain values', () => {
  it('core schema only, whatever the %YAML directive: no dates, no merges, "yes" is a string', () => {
    const value = plainValue(parseYaml('%YAML 1.1\n---\nb: &x {k: 1}\na: {<<: *x, t: 2001-12-14, y: yes}\n', 'in.yaml'));
    expect(value).toEqual({ b: { k: 1 }, a: { '<<': { k: 1 }, t: '2001-12-14', y: 'yes' } });
  });

  it('a "__proto__" key is data, not a prototype', () => {
    const value = plainValue(parseYaml('__proto__: {polluted: true}\n', 'in.yaml')) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('a map or list as a key is refused at the key', () => {
    expect(() => plainValue(parseYaml('? [a, b]\n: 1\n', 'in.yaml'))).toThrow('in.yaml:1:3: a key must be a plain value, not a map or a list');
  });
});

describe('messages quote at most an excerpt', () => {
  it('a duplicate key', () => {
    const key = 'k'.repeat(1000);
    expect(errorOf(`${key}: 1\n${key}: 2\n`)).toBe(`in.yaml:2:1: duplicate key "${'k'.repeat(40)}"...: a key may appear only once in a map`);
  });
});
