/**
 * SIGHUP onto hostile files: the rules or the inventory rewritten to an alias bomb, a FIFO, a
 * device or an include of one. Each reload fails at once with one line naming the file, the agent
 * keeps its rules, /healthz keeps answering while it happens, and violations keep reaching the
 * log. Before the bounded reader, a FIFO blocked the event loop for good and /dev/zero grew the
 * process until it aborted.
 *
 * Captures on lo like watch-signals.test.ts (root and the cap addon; skipped with the reason
 * otherwise, a failure with CI=true).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable as addonUnavailable } from '../../src/capture/live-capture.js';
import { AgentProcess } from '../support/agent-process.js';
import { LOOPBACK_API, LOOPBACK_WEB, loopbackMatrix } from '../support/loopback-matrix.js';
import { aliasBomb } from '../support/hostile-yaml.js';
import { sleep } from '../support/netns.js';
import { gate, missingTools } from '../support/tshark.js';
import { newTempDir } from '../support/temp-dir.js';

const reason = process.getuid?.() !== 0 ? 'needs root (live capture)' : (missingTools(['mkfifo', 'python3', 'curl']) ?? addonUnavailable());
const live = gate(reason);

const WEB = LOOPBACK_WEB;
const API = LOOPBACK_API;
const PORT = 18543;

const RULES = loopbackMatrix('loopback-hostile', 'Loopback reload test', PORT, 'tls');
const INVENTORY = `entries:\n  - name: web-host\n    addresses: ["${WEB}"]\n    components: [web]\n`;

/** Replaces `path` with `make(path)`'s creation (a FIFO, a symlink) or with `text`. */
function replace(path: string, with_: string | ((path: string) => void)): void {
  rmSync(path, { force: true });
  if (typeof with_ === 'string') writeFileSync(path, with_);
  else with_(path);
}

/** /healthz answers within `ms`, polled until `done` resolves; returns the slowest answer's time. */
async function healthzWhile(address: string, done: Promise<unknown>): Promise<number> {
  let slowest = 0;
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const started = performance.now();
    const res = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(res.status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
    await sleep(20);
  }
  return slowest;
}

describe('flowaudit watch: SIGHUP onto hostile files', () => {
  const dir = newTempDir('hostile-reload').path;
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    await agent?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(live.skip)(`each reload fails fast with one line, keeps the rules, and /healthz and the violation log carry on${live.suffix}`, async () => {
    live.assertAvailable();
    const rules = join(dir, 'rules.yaml');
    const inventory = join(dir, 'inventory.yaml');
    const log = join(dir, 'violations.ndjson');
    writeFileSync(rules, RULES);
    writeFileSync(inventory, INVENTORY);
    agent = await AgentProcess.start(['--interface', 'lo', '--filter', `host ${API}`, '--rules', rules, '--inventory', inventory, '--listen', '127.0.0.1:0', '--violation-log', log, '--flush-interval', '0.2']);
    const a = agent;

    const cases: { what: string; file: string; content: string | ((path: string) => void); error: RegExp }[] = [
      { what: 'rules: an alias bomb', file: rules, content: RULES + aliasBomb(9), error: /rules\.yaml:\d+:\d+: aliases expand the document to more than 100000 values/ },
      { what: 'rules: an alias with no anchor', file: rules, content: RULES.replace('title: Loopback reload test', 'title: *t'), error: /rules\.yaml:5:10: alias \*t has no anchor/ },
      {
        what: 'rules: an include of a device',
        file: rules,
        content: (path) => {
          symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
          writeFileSync(path, RULES.replace('components:', 'include: [./zero.yaml]\ncomponents:'));
        },
        error: /rules\.yaml:\d+:\d+: include "\.\/zero\.yaml" \(.*zero\.yaml\): is a character device, not a regular file/,
      },
      { what: 'inventory: a FIFO', file: inventory, content: (path) => spawnSync('mkfifo', [path]), error: /inventory\.yaml: is a FIFO \(named pipe\), not a regular file/ },
      { what: 'inventory: /dev/zero', file: inventory, content: (path) => symlinkSync('/dev/zero', path), error: /inventory\.yaml: is a character device, not a regular file/ },
      { what: 'inventory: an alias bomb', file: inventory, content: INVENTORY + aliasBomb(9), error: /inventory\.yaml:\d+:\d+: aliases expand/ },
    ];
    let failures = 0;
    for (const c of cases) {
      const original = c.file === rules ? RULES : INVENTORY;
      replace(c.file, c.content);
      a.signal('SIGHUP');
      failures++;
      const rejected = a.waitForLog(() => a.logs.filter((l) => l.msg === 'reload rejected; keeping the rules in force').length === failures, 5000).then(
        () => a.logs.filter((l) => l.msg === 'reload rejected; keeping the rules in force')[failures - 1],
      );
      const slowest = await healthzWhile(a.address, rejected);
      const line = await rejected;
      expect(String(line.error), c.what).toMatch(c.error);
      expect(String(line.error), c.what).not.toContain('\n');
      expect(slowest, `${c.what}: slowest /healthz (ms)`).toBeLessThan(1000);
      replace(c.file, original);
    }
    const m = await a.waitForMetrics((s) => s.get('flowaudit_rules_reloads_total{result="failure"}') === cases.length);
    expect(m.get('flowaudit_rules_last_reload_successful')).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith('flowaudit_rules_info{') && k.includes('profile="loopback-hostile"'))).toBe(true);

    // The rules in force still judge (plaintext where they want TLS), and the violation log is written.
    const server = spawn('python3', ['-m', 'http.server', '--bind', API, String(PORT)], { cwd: dir, stdio: 'ignore' });
    try {
      // Until the server listens, a refused connection has no payload: unverified, not logged.
      for (let i = 0; i < 40; i++) {
        if (spawnSync('curl', ['-s', '-o', '/dev/null', '--max-time', '2', '--interface', WEB, `http://${API}:${PORT}/`]).status === 0) break;
        await sleep(250);
      }
      await a.waitForMetrics((s) => s.get(`flowaudit_violations_total{kind="insecure",from="web",to="api",port="${PORT}"}`) === 1);
    } finally {
      server.kill('SIGKILL');
    }
    a.signal('SIGTERM');
    expect(await a.exited()).toEqual({ code: 0, signal: null });
    const records = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { verdict: string });
    expect(records.map((r) => r.verdict)).toEqual(['insecure']);
  });
});
