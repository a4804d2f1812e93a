import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, truncateSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { MatrixError } from '../../src/audit/matrix-error.js';
import { aliasBomb } from '../support/hostile-yaml.js';
import { positionOf } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('rules');

/** A matrix file with the given include list, components (name: pod glob) and rules (id, from, to, port, security). */
function matrixText(
  name: string,
  options: { include?: string[]; components?: Record<string, string>; rules?: [string, string, string, number, string][]; unmatched?: string },
): string {
  const lines = ['apiVersion: flowaudit.dev/v1', 'kind: ConnectionMatrix', 'metadata:', `  name: ${name}`, `  title: Title of ${name}`];
  if (options.include) lines.push(`include: [${options.include.map((i) => JSON.stringify(i)).join(', ')}]`);
  if (options.unmatched) lines.push(`unmatched: ${options.unmatched}`);
  const components = Object.entries(options.components ?? {});
  if (components.length > 0) {
    lines.push('components:');
    for (const [c, glob] of components) lines.push(`  ${c}:`, '    match:', `      - pod: "${glob}"`);
  }
  const rules = options.rules ?? [];
  if (rules.length > 0) {
    lines.push('connections:');
    for (const [id, from, to, port, security] of rules) {
      lines.push(`  - id: ${id}`, `    from: ${from}`, `    to: ${to}`, '    protocol: tcp', `    ports: [${port}]`, `    security: ${security}`);
    }
  }
  return lines.join('\n') + '\n';
}

function loadError(path: string, rulesDir?: string): MatrixError {
  try {
    loadMatrix(path, { cwd: temp.path, ...(rulesDir !== undefined && { rulesDir }) });
  } catch (err) {
    if (err instanceof MatrixError) return err;
    throw err;
  }
  throw new Error(`${path} loaded`);
}

const vendor = matrixText('vendor', { components: { api: 'api-*', db: 'db-*' }, rules: [['api-to-db', 'api', 'db', 5432, 'tls']] });

describe('merging', () => {
  const vendorPath = temp.write('merge/vendor/vendor.yaml', vendor);
  const sitePath = temp.write(
    'merge/site.yaml',
    matrixText('site', {
      include: ['./vendor/vendor.yaml'],
      components: { web: 'web-*' },
      rules: [['web-to-api', 'web', 'api', 443, 'tls']],
      unmatched: 'ignore-outside-components',
    }),
  );

  test('a relative include merges components and connections, includes first', () => {
    const m = loadMatrix(sitePath);
    expect(m.name).toBe('site');
    expect(m.title).toBe('Title of site');
    expect([...m.components.keys()].sort()).toEqual(['api', 'db', 'web']);
    expect(m.connections.map((c) => c.id)).toEqual(['api-to-db', 'web-to-api']);
    expect(m.files).toEqual([sitePath, vendorPath]);
    expect(m.includes).toEqual(['vendor']);
    expect(m.unmatched).toBe('ignore-outside-components');
    expect(m.connections[0].origin).toEqual({ file: vendorPath, line: 14 });
  });

  test("the root's unmatched policy applies, not an included file's", () => {
    const root = temp.write('merge/strict.yaml', matrixText('strict', { include: ['site.yaml'] }));
    expect(loadMatrix(root).unmatched).toBe('violation');
  });

  test('an include by shipped name is looked up in the rules folder', () => {
    const rulesDir = temp.write('shipped/vendor.yaml', vendor).replace(/vendor\.yaml$/, '');
    const site = temp.write('by-name/site.yaml', matrixText('site', { include: ['vendor'] }));
    const m = loadMatrix(site, { rulesDir });
    expect(m.connections.map((c) => c.id)).toEqual(['api-to-db']);
    expect(m.includes).toEqual(['vendor']);
  });

  test('a site extends a real shipped profile', () => {
    const site = temp.write(
      'extend/site.yaml',
      matrixText('my-apigee', {
        include: ['apigee-hybrid-1.4'],
        components: { backend: 'backend-*' },
        rules: [['mp-to-backend', 'message-processor', 'backend', 8080, 'tls']],
      }),
    );
    const vendorMatrix = loadMatrix('apigee-hybrid-1.4');
    const m = loadMatrix(site);
    expect(m.connections.length).toBe(vendorMatrix.connections.length + 1);
    expect(m.components.size).toBe(vendorMatrix.components.size + 1);
    expect(m.includes).toEqual(['apigee-hybrid-1.4', 'platform-baseline']);
  });

  test('a diamond merges the shared file once', () => {
    temp.write('diamond/base.yaml', vendor);
    temp.write('diamond/left.yaml', matrixText('left', { include: ['./base.yaml'], components: { l: 'l-*' }, rules: [['l-to-db', 'l', 'db', 1, 'none']] }));
    temp.write('diamond/right.yaml', matrixText('right', { include: ['./base.yaml'], components: { r: 'r-*' }, rules: [['r-to-db', 'r', 'db', 2, 'none']] }));
    const top = temp.write('diamond/top.yaml', matrixText('top', { include: ['left.yaml', 'right.yaml'] }));
    const m = loadMatrix(top);
    expect(m.connections.map((c) => c.id)).toEqual(['api-to-db', 'l-to-db', 'r-to-db']);
    expect(m.includes).toEqual(['left', 'vendor', 'right']);
    expect(m.files).toHaveLength(4);
  });

  test('an identical repeated component is accepted', () => {
    temp.write('same/vendor.yaml', vendor);
    const site = temp.write('same/site.yaml', matrixText('site', { include: ['./vendor.yaml'], components: { db: 'db-*' } }));
    expect(loadMatrix(site).components.get('db')?.origin.file).toMatch(/same\/vendor\.yaml$/);
  });
});

describe('include errors', () => {
  test('a cycle is reported at the include that closes it', () => {
    temp.write('cycle/a.yaml', matrixText('a', { include: ['./b.yaml'], ...{ components: { x: 'x' }, rules: [['x', 'x', 'x', 1, 'none']] } }));
    const bText = matrixText('b', { include: ['./a.yaml'] });
    temp.write('cycle/b.yaml', bText);
    const err = loadError(`${temp.path}/cycle/a.yaml`);
    expect(err.file).toBe('cycle/b.yaml');
    expect({ line: err.line, column: err.column }).toEqual(positionOf(bText, '"./a.yaml"'));
    expect(err.detail).toBe('include cycle: cycle/a.yaml -> cycle/b.yaml -> cycle/a.yaml');
  });

  test('a file including itself', () => {
    const text = matrixText('self', { include: ['self.yaml'] });
    temp.write('self/self.yaml', text);
    const err = loadError(`${temp.path}/self/self.yaml`);
    expect(err.detail).toBe('include cycle: self/self.yaml -> self/self.yaml');
  });

  test('a missing relative include, at the include', () => {
    const text = matrixText('m', { include: ['./vendor.yaml', './absent.yaml'] });
    temp.write('missing/vendor.yaml', vendor);
    temp.write('missing/site.yaml', text);
    const err = loadError(`${temp.path}/missing/site.yaml`);
    expect({ file: err.file, line: err.line, column: err.column }).toEqual({ file: 'missing/site.yaml', ...positionOf(text, '"./absent.yaml"') });
    expect(err.detail).toBe('include "./absent.yaml" (missing/absent.yaml): no such file');
  });

  test('a missing shipped profile, at the include', () => {
    const text = matrixText('m', { include: ['apigee-hybrid-9'] });
    const err = loadError(temp.write('missing-shipped.yaml', text));
    expect(err.line).toBe(positionOf(text, 'apigee').line);
    expect(err.detail).toMatch(/^include "apigee-hybrid-9": no shipped profile "apigee-hybrid-9" \(shipped: .*kong-hybrid/);
  });

  test('an error inside an included file is reported in that file', () => {
    const bad = vendor.replace('security: tls', 'security: ssl');
    temp.write('inner/vendor.yaml', bad);
    const err = loadError(temp.write('inner/site.yaml', matrixText('site', { include: ['./vendor.yaml'] })));
    expect({ file: err.file, line: err.line, column: err.column }).toEqual({ file: 'inner/vendor.yaml', ...positionOf(bad, 'ssl') });
  });

  test('a component redefined differently, at the redefinition', () => {
    temp.write('redef/vendor.yaml', vendor);
    const text = matrixText('site', { include: ['./vendor.yaml'], components: { db: 'postgres-*' } });
    const err = loadError(temp.write('redef/site.yaml', text));
    expect({ file: err.file, line: err.line, column: err.column }).toEqual({ file: 'redef/site.yaml', ...positionOf(text, 'db:') });
    expect(err.detail).toBe('component "db" is already defined differently at redef/vendor.yaml:10: an including file may repeat a component only identically');
  });

  test('a rule conflicting with an included rule, in the including file', () => {
    temp.write('conflict/vendor.yaml', vendor);
    const text = matrixText('site', { include: ['./vendor.yaml'], rules: [['plain-db', 'api', 'db', 5432, 'none']] });
    const err = loadError(temp.write('conflict/site.yaml', text));
    expect({ file: err.file, line: err.line }).toEqual({ file: 'conflict/site.yaml', line: positionOf(text, 'plain-db').line });
    expect(err.detail).toBe('connection "plain-db" conflicts with "api-to-db" (conflict/vendor.yaml:14): both match api -> db tcp/5432 but security differs (tls vs none)');
  });

  test('a duplicate id across files', () => {
    temp.write('dup/vendor.yaml', vendor);
    const text = matrixText('site', { include: ['./vendor.yaml'], rules: [['api-to-db', 'db', 'api', 1, 'none']] });
    const err = loadError(temp.write('dup/site.yaml', text));
    expect(err.file).toBe('dup/site.yaml');
    expect(err.detail).toBe('duplicate connection id "api-to-db" (first at dup/vendor.yaml:14)');
  });

  test("an included file may not use the including file's components", () => {
    const inner = matrixText('inner', { rules: [['web-to-x', 'web', 'web', 1, 'none']] });
    temp.write('scope/inner.yaml', inner);
    const err = loadError(temp.write('scope/site.yaml', matrixText('site', { include: ['./inner.yaml'], components: { web: 'web-*' } })));
    expect(err.file).toBe('scope/inner.yaml');
    expect(err.detail).toBe('connection "web-to-x": from names undefined component "web"');
  });

  test('a failed load leaves nothing behind: the same loader input loads cleanly afterwards', () => {
    const path = temp.write('retry/site.yaml', vendor.replace('security: tls', 'security: ssl'));
    expect(() => loadMatrix(path)).toThrow(MatrixError);
    temp.write('retry/site.yaml', vendor);
    expect(loadMatrix(path).connections).toHaveLength(1);
  });
});

describe('hash', () => {
  test('equal content hashes equal across folders; descriptions do not count; ports do', () => {
    const a = loadMatrix(temp.write('hash/a/v.yaml', vendor));
    const b = loadMatrix(temp.write('hash/b/v.yaml', '# a comment\n' + vendor.replace('  title: Title of vendor', '  title: Other\n  description: words')));
    const c = loadMatrix(temp.write('hash/c/v.yaml', vendor.replace('[5432]', '[5433]')));
    expect(a.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
  });
});

describe('includes name rules files, and only regular ones', () => {
  const includer = (dir: string, ref: string): { text: string; path: string } => {
    const text = matrixText('site', { include: [ref], components: { x: 'x' }, rules: [['x', 'x', 'x', 1, 'none']] });
    return { text, path: temp.write(`${dir}/site.yaml`, text) };
  };

  test.each(['/etc/passwd', '/proc/self/environ', '/dev/zero', '../../secrets'])('%s is neither a profile name nor a .yaml path: refused unread', (ref) => {
    const { text, path } = includer(`not-rules-${ref.replace(/\W/g, '')}`, ref);
    const err = loadError(path);
    expect({ line: err.line, column: err.column }).toEqual(positionOf(text, JSON.stringify(ref)));
    expect(err.detail).toBe(`include ${JSON.stringify(ref)}: not a shipped profile name (no '/') nor a path ending in .yaml or .yml`);
  });

  test('a .yaml name for a device, a FIFO or a directory is refused by its type, at once', () => {
    symlinkSync('/dev/zero', temp.write('special/zero.yaml', '') + '.link');
    renameSync(`${temp.path}/special/zero.yaml.link`, `${temp.path}/special/zero.yaml`);
    execFileSync('mkfifo', [`${temp.path}/special/fifo.yaml`]);
    mkdirSync(`${temp.path}/special/dir.yaml`);
    const cases: [string, string][] = [
      ['./zero.yaml', 'is a character device, not a regular file: a rules file must be a regular file'],
      ['./fifo.yaml', 'is a FIFO (named pipe), not a regular file: a rules file must be a regular file'],
      ['./dir.yaml', 'is a directory, not a regular file: a rules file must be a regular file'],
    ];
    for (const [ref, why] of cases) {
      const err = loadError(includer('special', ref).path);
      expect(err.file).toBe('special/site.yaml');
      expect(err.detail).toBe(`include ${JSON.stringify(ref)} (special/${ref.slice(2)}): ${why}`);
    }
  });

  test('an include over the size limit is refused by its size, before it is read', () => {
    const big = temp.write('big/vendor.yaml', '');
    truncateSync(big, 1024 * 1024 + 1);
    const err = loadError(includer('big', './vendor.yaml').path);
    expect(err.detail).toBe('include "./vendor.yaml" (big/vendor.yaml): is 1048577 bytes; the limit for a rules file is 1048576 bytes (1 MiB)');
  });

  test('a long include is quoted as an excerpt', () => {
    const ref = `./${'a'.repeat(3000)}.yaml`;
    const err = loadError(includer('long', ref).path);
    expect(err.message.length, err.detail).toBeLessThan(300);
    expect(err.detail).toMatch(/^include "\.\/a{38}"\.\.\. \(long\/a{75}\.\.\.\): cannot read: file name too long$/);
  });
});

test('an alias bomb in an included file is reported in that file, at the alias', () => {
  const bomb = vendor + aliasBomb(9);
  temp.write('bomb/vendor.yaml', bomb);
  const err = loadError(temp.write('bomb/site.yaml', matrixText('site', { include: ['./vendor.yaml'] })));
  expect({ file: err.file, line: err.line, column: err.column }).toEqual({ file: 'bomb/vendor.yaml', ...positionOf(bomb, '*a4') });
  expect(err.detail).toBe('aliases expand the document to more than 100000 values (an alias bomb?)');
});
