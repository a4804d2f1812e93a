import { Command } from 'commander';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { registerRulesCommand } from '../../src/cli/rules-command.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { VALID, tempRules } from './fixtures-rules/temp-rules.js';

const temp = tempRules();
afterAll(() => temp.cleanup());
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

test('a missing file exits 2', async () => {
  const r = await run(['rules', 'validate', `${temp.dir}/absent.yaml`]);
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
  const dir = temp.dir + '/shipped';
  temp.write('shipped/good.yaml', VALID.replace('name: t', 'name: good'));
  temp.write('shipped/broken.yaml', VALID.replace('security: tls', 'security: ssl'));
  const r = await run(['rules', 'list'], dir);
  expect(r.stdout).toBe('good\tT\n');
  expect(r.stderr).toMatch(/broken\.yaml:19:15: connections\[0\]\.security: must be one of/);
  expect(r.exitCode).toBe(ExitCode.UsageOrInput);
});
