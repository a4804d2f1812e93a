/**
 * Every CLI entry point that reads rules, inventories, snapshots or a web config, run as a real
 * process under a memory limit (1 GiB of address space, a 64 MB V8 heap) on hostile files: each
 * ends at once with exit 2 and one line naming the file (FILE:LINE:COL or FILE:), no stack
 * trace, and nothing of a secret the file or the environment holds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { aliasBomb } from '../support/hostile-yaml.js';
import { gate } from '../support/tshark.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const CAPTURE = join(ROOT, 'test/fixtures/captures/traffic.pcapng');
/** In the environment of every run, and in a file a rules file includes: never to be echoed. */
const SECRET = 'hunter2-do-not-print-7f3a9c';

const dir = tempDir('hostile').path;
const path = (name: string): string => join(dir, name);
const write = (name: string, text: string): string => {
  writeFileSync(path(name), text);
  return path(name);
};
const sparse = (name: string, bytes: number): string => {
  writeFileSync(path(name), '');
  truncateSync(path(name), bytes);
  return path(name);
};

const RULES_HEAD = 'apiVersion: flowaudit.dev/v1\nkind: ConnectionMatrix\nmetadata:\n  name: hostile\n  title: Hostile\n';
const including = (name: string, ref: string): string => write(name, `${RULES_HEAD}include: [${JSON.stringify(ref)}]\nconnections: []\n`);

execFileSync('mkfifo', [path('fifo.yaml')]);
execFileSync('mkfifo', [path('fifo.json')]);
symlinkSync('/dev/zero', path('zero.yaml'));
write('secret.yaml', `api_token: ${SECRET}\n`);
mkdirSync(path('dir.yaml'));

/** Each hostile rules file and the message its one line must carry (after `flowaudit: `). */
const RULES: [string, string, RegExp][] = [
  ['an alias bomb', write('bomb.yaml', RULES_HEAD + aliasBomb(9)), /^\S*bomb\.yaml:\d+:\d+: aliases expand the document to more than 100000 values/],
  ['an alias with no anchor', write('no-anchor.yaml', RULES_HEAD.replace('title: Hostile', 'title: *nope')), /^\S*no-anchor\.yaml:5:10: alias \*nope has no anchor/],
  ['deep nesting', write('deep.yaml', `${RULES_HEAD}x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`), /^\S*deep\.yaml:\d+:\d+: (YAML: )?nesting deeper than 64 levels$/],
  ['include: [/etc/passwd]', including('passwd.yaml', '/etc/passwd'), /^\S*passwd\.yaml:6:11: include "\/etc\/passwd": not a shipped profile name/],
  ['include: [/proc/self/environ]', including('environ.yaml', '/proc/self/environ'), /^\S*environ\.yaml:6:11: include "\/proc\/self\/environ": not a shipped profile name/],
  ['include: [/dev/zero]', including('dev-zero.yaml', '/dev/zero'), /^\S*dev-zero\.yaml:6:11: include "\/dev\/zero": not a shipped profile name/],
  ['an include of a symlink to /dev/zero', including('zero-link.yaml', './zero.yaml'), /^\S*zero-link\.yaml:6:11: include "\.\/zero\.yaml" \(.*\): is a character device, not a regular file/],
  ['an include of a FIFO', including('fifo-include.yaml', './fifo.yaml'), /^\S*fifo-include\.yaml:6:11: include "\.\/fifo\.yaml" \(.*\): is a FIFO \(named pipe\), not a regular file/],
  ['an include of a directory', including('dir-include.yaml', './dir.yaml'), /^\S*dir-include\.yaml:6:11: include "\.\/dir\.yaml" \(.*\): is a directory, not a regular file/],
  ['an include of a secrets file', including('secret-include.yaml', './secret.yaml'), /^\S*secret\.yaml:1:1: document: missing required key "apiVersion"$/],
  ['a rules file over its limit', sparse('big.yaml', 2 * 1024 * 1024), /^\S*big\.yaml: is 2097152 bytes; the limit for a rules file is 1048576 bytes/],
  ['--rules /dev/zero', '/dev/zero', /^\/dev\/zero: is a character device, not a regular file: a rules file must be a regular file$/],
  ['--rules /proc/self/environ', '/proc/self/environ', /^\/proc\/self\/environ: is a \/proc file, not a regular file/],
];

const INVENTORIES: [string, string, RegExp][] = [
  ['/dev/zero', '/dev/zero', /^\/dev\/zero: is a character device, not a regular file: an inventory must be a regular file$/],
  ['a FIFO', path('fifo.yaml'), /fifo\.yaml: is a FIFO \(named pipe\), not a regular file: an inventory must be a regular file$/],
  ['/proc/self/environ', '/proc/self/environ', /^\/proc\/self\/environ: is a \/proc file, not a regular file: an inventory must be a regular file$/],
  ['an alias bomb', write('bomb-inventory.yaml', `${aliasBomb(9)}entries: []\n`), /bomb-inventory\.yaml:6:10: aliases expand the document/],
  ['an alias with no anchor', write('no-anchor-inventory.yaml', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: *l\n'), /no-anchor-inventory\.yaml:4:13: alias \*l has no anchor &l before it$/],
  ['an inventory over its limit', sparse('big-inventory.yaml', 9 * 1024 * 1024), /big-inventory\.yaml: is 9437184 bytes; the limit for an inventory is 8388608 bytes/],
];

const SNAPSHOTS: [string, string, RegExp][] = [
  ['/dev/zero', '/dev/zero', /^\/dev\/zero: is a character device, not a regular file: a Kubernetes snapshot must be a regular file$/],
  ['a FIFO', path('fifo.json'), /fifo\.json: is a FIFO \(named pipe\), not a regular file/],
  ['/proc/self/environ', '/proc/self/environ', /^\/proc\/self\/environ: is a \/proc file, not a regular file/],
  ['deeply nested broken JSON', write('deep.json', `{"items": ${'['.repeat(1_000_000)}}`), /deep\.json:1:1010: JSON: nesting deeper than 1000 levels$/],
  ['a snapshot over its limit', sparse('big.json', 300 * 1024 * 1024), /big\.json: is 314572800 bytes; the limit for a Kubernetes snapshot is 268435456 bytes/],
];

const WEB_CONFIGS: [string, string, RegExp][] = [
  ['an alias bomb', write('bomb-web.yaml', aliasBomb(9)), /bomb-web\.yaml:6:10: aliases expand the document/],
  ['an alias with no anchor', write('no-anchor-web.yaml', 'basic_auth_users: *users\n'), /no-anchor-web\.yaml:1:19: alias \*users has no anchor/],
  ['/dev/zero', '/dev/zero', /^\/dev\/zero: is a character device, not a regular file: a web config must be a regular file$/],
  ['a FIFO', path('fifo.yaml'), /fifo\.yaml: is a FIFO \(named pipe\), not a regular file: a web config must be a regular file$/],
];

/** Runs the CLI under the memory limit, with the secret in its environment; a run that hangs fails. */
function cli(args: readonly string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync('prlimit', ['--as=1073741824', process.execPath, '--max-old-space-size=64', MAIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, FLOWAUDIT_TEST_SECRET: SECRET },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function expectOneLineError(args: readonly string[], message: RegExp): void {
  const { stderr } = expectErrorLines(args, message);
  expect(stderr, stderr.slice(0, 2000)).toMatch(/^flowaudit: [^\n]*\n$/);
}

/**
 * `rules validate` reports every error of a file, one line each (an included secrets file that is
 * no rules file has several); the first is the line the other commands print alone.
 */
function expectErrorLines(args: readonly string[], message: RegExp): { stderr: string } {
  const { status, stderr, stdout } = cli(args);
  const lines = stderr.split('\n');
  expect(lines.pop(), stderr.slice(0, 2000)).toBe('');
  for (const line of lines) expect(line).toMatch(/^flowaudit: \S/);
  expect(lines[0].slice('flowaudit: '.length)).toMatch(message);
  expect(status, stderr).toBe(2);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr + stdout).not.toContain(SECRET);
  return { stderr };
}

const FLOW = ['--flow', '10.0.0.5:43512 -> 10.0.1.7:53/udp'];

describe('hostile rules files', () => {
  it.each(RULES)('%s: rules validate', (_what, file, message) => {
    expectErrorLines(['rules', 'validate', file], message);
  });
  it.each(RULES)('%s: rules explain', (_what, file, message) => expectOneLineError(['rules', 'explain', file, ...FLOW], message));
  it.each(RULES)('%s: analyze', (_what, file, message) => expectOneLineError(['analyze', CAPTURE, '--rules', file], message));
});

describe('hostile inventories', () => {
  it.each(INVENTORIES)('%s: rules explain', (_what, file, message) => expectOneLineError(['rules', 'explain', 'platform-baseline', ...FLOW, '--inventory', file], message));
  it.each(INVENTORIES)('%s: analyze', (_what, file, message) => expectOneLineError(['analyze', CAPTURE, '--rules', 'platform-baseline', '--inventory', file], message));
});

describe('hostile Kubernetes snapshots', () => {
  it.each(SNAPSHOTS)('%s: rules explain', (_what, file, message) => expectOneLineError(['rules', 'explain', 'platform-baseline', ...FLOW, '--k8s-snapshot', file], message));
  it.each(SNAPSHOTS)('%s: analyze', (_what, file, message) => expectOneLineError(['analyze', CAPTURE, '--rules', 'platform-baseline', '--k8s-snapshot', file], message));
});

// `watch` checks that live capture is installed before it reads any file; its hostile files then
// fail before a capture is opened, so no root is needed.
const addon = gate(liveCaptureUnavailable());
describe('watch: hostile files fail before capture', () => {
  const watch = ['watch', '--interface', 'lo', '--listen', '127.0.0.1:0'];
  it.skipIf(addon.skip).each(RULES.slice(0, 3).concat(RULES.slice(6, 8)))(`%s: watch --rules${addon.suffix}`, (_what, file, message) => {
    addon.assertAvailable();
    expectOneLineError([...watch, '--rules', file], message);
  });
  it.skipIf(addon.skip).each(INVENTORIES)(`%s: watch --inventory${addon.suffix}`, (_what, file, message) => {
    addon.assertAvailable();
    expectOneLineError([...watch, '--rules', 'platform-baseline', '--inventory', file], message);
  });
  it.skipIf(addon.skip).each(SNAPSHOTS.slice(0, 3))(`%s: watch --k8s-snapshot${addon.suffix}`, (_what, file, message) => {
    addon.assertAvailable();
    expectOneLineError([...watch, '--rules', 'platform-baseline', '--k8s-snapshot', file], message);
  });
  it.skipIf(addon.skip).each(WEB_CONFIGS)(`%s: watch --web.config.file${addon.suffix}`, (_what, file, message) => {
    addon.assertAvailable();
    expectOneLineError([...watch, '--rules', 'platform-baseline', '--web.config.file', file], message);
  });
});
