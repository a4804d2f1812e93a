import { Command } from 'commander';
import { afterEach, expect, test, vi } from 'vitest';
import { registerRulesCommand } from '../../src/cli/rules-command.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { VALID, positionOf } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('rules');
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `flowaudit ARGS` with only the rules command registered; returns output and exit code. */
async function run(args: string[], rulesDir?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  const program = new Command().name('flowaudit').exitOverride();
  registerRulesCommand(program, rulesDir === undefined ? {} : { rulesDir });
  process.exitCode = undefined;
  await program.parseAsync(['node', 'flowaudit', ...args]);
  const exitCode = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}

test('validate a shipped profile by name', async () => {
  const r = await run(['rules', 'validate', 'apigee-hybrid-1.4']);
  expect(r.exitCode).toBe(ExitCode.Ok);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^OK apigee-hybrid-1\.4: \d+ components, \d+ connections \(includes platform-baseline\)\n$/);
});

test('validate a file without includes', async () => {
  const r = await run(['rules', 'validate', temp.write('ok.yaml', VALID)]);
  expect(r.stdout).toBe('OK t: 2 components, 1 connections\n');
  expect(r.exitCode).toBe(ExitCode.Ok);
});

test('a bad file prints one line and exits 2; the good ones are still checked', async () => {
  const bad = temp.write('bad.yaml', VALID.replace('to: b', 'to: nowhere'));
  const r = await run(['rules', 'validate', bad, 'platform-baseline']);
  expect(r.exitCode).toBe(ExitCode.UsageOrInput);
  expect(r.stderr).toBe(`flowaudit: ${bad}:16:9: connection "a-to-b": to names undefined component "nowhere"\n`);
  expect(r.stdout).toMatch(/^OK platform-baseline: /);
});

/** VALID with a schema error and a semantic one in each section, each independent of the others. */
const SEVERAL_ERRORS = VALID.replace('  title: T\n', '  title: T\n  titel: typo\n')
  .replace('      - cidrs: ["10.0.0.0/8"]', '      - cidrs: ["10.0.0.1/8"]\n  Bad:\n    match: []')
  .concat(
    [
      '  - { id: a-to-b-mtls, from: a, to: b, protocol: tcp, ports: [443], security: mtls }',
      '  - { id: a-to-c, from: a, to: c, protocol: tcp, ports: [8443], security: tls }',
      '  - { id: b-to-a, from: b, to: a, protocol: tcp, ports: ["9000-8000"], security: none }',
      '  - { id: a-to-b, from: a, to: b, protocol: udp, ports: [53], security: none }',
      '  - { id: b-to-b, from: b, to: b, protocol: tcp, ports: [22], security: ssl }',
      '',
    ].join('\n'),
  );

test('every error of a file is reported, one line each, in file order; exit 2', async () => {
  const bad = temp.write('several.yaml', SEVERAL_ERRORS);
  const at = (needle: string): string => {
    const { line, column } = positionOf(SEVERAL_ERRORS, needle);
    return `flowaudit: ${bad}:${line}:${column}: `;
  };
  const r = await run(['rules', 'validate', bad]);
  expect(r.exitCode).toBe(ExitCode.UsageOrInput);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toEqual([
    `${at('titel')}metadata: unknown key "titel" (allowed: name, title, description, source)`,
    `${at('"10.0.0.1/8"')}"10.0.0.1/8" has host bits set: the network is 10.0.0.0/8`,
    `${at('Bad')}components: "Bad" must be a component name: lower-case letters, digits, '.', '_' and '-', at most 63`,
    `${at('a-to-b-mtls')}connection "a-to-b-mtls" conflicts with "a-to-b" (${bad}:${positionOf(SEVERAL_ERRORS, '- id: a-to-b').line}): both match a -> b tcp/443 but security differs (tls vs mtls)`,
    `${at('c, protocol')}connection "a-to-c": to names undefined component "c"`,
    `${at('"9000-8000"')}connection "b-to-a": port range "9000-8000" is reversed: 9000 is above 8000`,
    `${at('a-to-b, from: a, to: b, protocol: udp')}duplicate connection id "a-to-b" (first at ${bad}:${positionOf(SEVERAL_ERRORS, '- id: a-to-b').line})`,
    `${at('ssl')}connections[5].security: must be one of "none", "tls", "mtls", not "ssl"`,
    '',
  ]);
});

test("an include's errors are reported under its name; a missing include's components are not reported as undefined", async () => {
  const vendor = 'apiVersion: flowaudit.dev/v1\nkind: ConnectionMatrix\nmetadata: { name: vendor, title: V, bogus: 1 }\ncomponents:\n  c: { match: [{ cidrs: ["10.1.0.0/33"] }] }\n';
  const included = temp.write('inc/vendor.yaml', vendor);
  const at = (needle: string): string => `${positionOf(vendor, needle).line}:${positionOf(vendor, needle).column}`;
  const site = (include: string): string =>
    VALID.replace('components:', `include: [${include}]\ncomponents:`).concat('  - { id: a-to-c, from: a, to: c, protocol: tcp, ports: [8443], security: tls }\n');
  const r = await run(['rules', 'validate', temp.write('inc/site.yaml', site('./vendor.yaml'))]);
  expect(r.stderr).toBe(
    [
      `flowaudit: ${included}:${at('bogus')}: metadata: unknown key "bogus" (allowed: name, title, description, source)`,
      `flowaudit: ${included}:${at('"10.1.0.0/33"')}: "10.1.0.0/33" is not a CIDR: prefix length must be 0-32`,
      '',
    ].join('\n'),
  );
  const missing = temp.write('inc/site-missing.yaml', site('./absent.yaml'));
  const m = await run(['rules', 'validate', missing]);
  const { line, column } = positionOf(site('./absent.yaml'), './absent.yaml');
  expect(m.stderr).toBe(`flowaudit: ${missing}:${line}:${column}: include "./absent.yaml" (${temp.path}/inc/absent.yaml): no such file\n`);
  expect(m.exitCode).toBe(ExitCode.UsageOrInput);
  const unnamed = temp.write('inc/site-unnamed.yaml', site('5'));
  const u = await run(['rules', 'validate', unnamed]);
  expect(u.stderr).toMatch(/^flowaudit: \S+:\d+:\d+: include\[0\]: must be a string, not 5 \(quote it\)\n$/);
});

test('a missing file exits 2', async () => {
  const r = await run(['rules', 'validate', `${temp.path}/absent.yaml`]);
  expect(r.exitCode).toBe(ExitCode.UsageOrInput);
  expect(r.stderr).toMatch(/absent\.yaml: no such file/);
});

test('list prints every shipped profile with its title', async () => {
  const r = await run(['rules', 'list']);
  expect(r.exitCode).toBe(ExitCode.Ok);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines).toContain('apigee-hybrid-1.4\tApigee hybrid 1.4 runtime plane');
  expect(lines.map((l) => l.split('\t')[0])).toEqual([
    'apigee-hybrid',
    'apigee-hybrid-1.4',
    'kong-hybrid',
    'kong-konnect',
    'kong-konnect-common',
    'kong-konnect-kic',
    'platform-baseline',
  ]);
});

test('list reports a broken profile in the folder and exits 2', async () => {
  const dir = temp.path + '/shipped';
  temp.write('shipped/good.yaml', VALID.replace('name: t', 'name: good'));
  temp.write('shipped/broken.yaml', VALID.replace('security: tls', 'security: ssl'));
  const r = await run(['rules', 'list'], dir);
  expect(r.stdout).toBe('good\tT\n');
  expect(r.stderr).toMatch(/broken\.yaml:19:15: connections\[0\]\.security: must be one of/);
  expect(r.exitCode).toBe(ExitCode.UsageOrInput);
});
