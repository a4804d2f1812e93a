/**
 * `flowaudit watch` without CAP_NET_RAW: the real CLI (dist/) under setpriv, which drops the
 * capability from the bounding set (so root's execve cannot regain it), must refuse in one line
 * naming the capability, exit 2, before it serves anything. Captures on lo only (nothing is
 * created). Needs root (to have the capability to drop), setpriv and the cap addon; without them
 * the test skips and says why, with CI=true it fails instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { sleep } from '../support/netns.js';
import { gate, missingTools, REPO_ROOT } from '../support/tshark.js';

const MAIN = join(REPO_ROOT, 'dist/bin/flowaudit.js');
const reason = process.getuid?.() !== 0 ? 'needs root (a capability to drop)' : missingTools(['setpriv']) ?? liveCaptureUnavailable();
const privileged = gate(reason);
const WITHOUT_NET_RAW = ['setpriv', '--inh-caps=-net_raw', '--ambient-caps=-net_raw', '--bounding-set=-net_raw'];

describe.skipIf(privileged.skip)(`watch without CAP_NET_RAW${privileged.suffix}`, () => {
  it('exits 2 with one line naming the interface and the capability', () => {
    privileged.assertAvailable();
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    const [setpriv, ...drop] = WITHOUT_NET_RAW;
    const run = spawnSync(setpriv, [...drop, process.execPath, MAIN, 'watch', '--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flowaudit: lo: socket: Operation not permitted: live capture needs the CAP_NET_RAW capability: run as root, or grant it/);
    expect(run.stdout).toBe('');
  });

  it('with CAP_NET_RAW kept (another capability dropped), the same command starts: the refusal above is the capability', async () => {
    privileged.assertAvailable();
    const agent = spawn('setpriv', ['--bounding-set=-sys_time', process.execPath, MAIN, 'watch', '--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(agent, 'exit');
    for (const deadline = Date.now() + 15_000; !stderr.includes('"msg":"flowaudit watch started"') && agent.exitCode === null && Date.now() < deadline; ) await sleep(50);
    agent.kill('SIGTERM'); // the agent's clean stop
    const [code] = await exited;
    expect(stderr).toMatch(/"msg":"flowaudit watch started"/);
    expect(stderr).not.toMatch(/CAP_NET_RAW|not permitted/);
    expect(code).toBe(0);
  });
});
