/**
 * `flowaudit watch --engine` on the real CLI (dist/): the choice parsed, refusals in one line with
 * exit 2 before anything starts, auto's logged choice and reason with CAP_BPF dropped by setpriv
 * (as test/engine/ebpf-probe.test.ts drops it), and a real eBPF start that SIGTERM stops with its
 * loader. Attaches to no interface (a pattern nothing matches, or libpcap on `any`): no namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { ebpfUnavailable } from '../ebpf/loader-process.js';
import { sleep } from '../support/netns.js';
import { exposedSeries } from '../support/exposition.js';
import { gate, missingTools, REPO_ROOT } from '../support/tshark.js';

const MAIN = join(REPO_ROOT, 'dist/bin/flowaudit.js');
const WATCH = [MAIN, 'watch', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0'];
/** setpriv taking CAP_BPF (and CAP_SYS_ADMIN, which stands in for it) away from the CLI and the loader it would spawn. */
const WITHOUT_CAP_BPF = ['--inh-caps=-bpf,-sys_admin', '--ambient-caps=-bpf,-sys_admin', '--bounding-set=-bpf,-sys_admin'];
const CAP_BPF_LINE = 'missing capability CAP_BPF (to load the eBPF programs and create and read their maps)';

function watch(args: string[]): { status: number | null; stderr: string } {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [...WATCH, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

interface Run {
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `cmd`, waits for the agent's "started" line, and gives a SIGTERM that returns the exit code. */
async function startWatch(cmd: string, args: string[]): Promise<Run> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit');
  for (const deadline = Date.now() + 15_000; !stderr.includes('"msg":"flowaudit watch started"') && child.exitCode === null && Date.now() < deadline; ) await sleep(50);
  return {
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return (await exited)[0] as number | null;
    },
  };
}

function logLine(stderr: string, msg: string): Record<string, unknown> | undefined {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === msg);
}

describe('watch --engine: parsing and refusals', () => {
  it('takes auto, ebpf or pcap only', () => {
    expect(watch(['-i', 'lo', '--engine', 'xdp'])).toEqual({ status: 2, stderr: "error: option '--engine <engine>' argument 'xdp' is invalid. Allowed choices are auto, ebpf, pcap.\n" });
  });

  it('ebpf refuses a non-Ethernet interface, a capture filter, and pcap an interface kind, each in one line with exit 2', () => {
    expect(watch(['-i', 'lo', '--engine', 'ebpf'])).toEqual({
      status: 2,
      stderr: 'flowaudit: watch --engine ebpf: lo is not an Ethernet interface (link type 772); the eBPF engine attaches to Ethernet interfaces only\n',
    });
    expect(watch(['-i', 'any', '--engine', 'ebpf', '--filter', 'tcp'])).toEqual({
      status: 2,
      stderr: 'flowaudit: watch --engine ebpf: --filter is a libpcap capture filter; the eBPF engine takes none (use --engine pcap)\n',
    });
    expect(watch(['-i', 'any', '--engine', 'pcap', '--interface-kind', 'veth'])).toEqual({
      status: 2,
      stderr: 'flowaudit: watch: --interface-kind needs the eBPF engine; the engine is pcap (--engine pcap)\n',
    });
    expect(watch(['-i', 'any', '--engine', 'pcap', '--ebpf-max-flows', '4096'])).toEqual({
      status: 2,
      stderr: 'flowaudit: watch: --ebpf-max-flows needs the eBPF engine; the engine is pcap (--engine pcap)\n',
    });
  });

  it('takes the kernel map sizes only within the loader\'s bounds, the ring buffer a power of two', () => {
    expect(watch(['-i', 'any', '--ebpf-max-flows', '1000'])).toEqual({ status: 2, stderr: "error: option '--ebpf-max-flows <n>' argument '1000' is invalid. expected a whole number from 1024 to 16777216\n" });
    expect(watch(['-i', 'any', '--ebpf-ring-bytes', '5000'])).toEqual({ status: 2, stderr: "error: option '--ebpf-ring-bytes <bytes>' argument '5000' is invalid. expected a power of two from 4096 to 1073741824\n" });
  });
});

const dropCaps = gate(process.getuid?.() !== 0 ? 'needs root (a capability to drop)' : missingTools(['setpriv']) ?? liveCaptureUnavailable());

describe.skipIf(dropCaps.skip)(`watch --engine without CAP_BPF${dropCaps.suffix}`, () => {
  it('ebpf exits 2 with the probe\'s one line naming the capability, before it serves anything', () => {
    dropCaps.assertAvailable();
    const r = spawnSync('setpriv', [...WITHOUT_CAP_BPF, process.execPath, ...WATCH, '-i', 'any', '--engine', 'ebpf'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`flowaudit: watch --engine ebpf: ${CAP_BPF_LINE}\n`);
  });

  it('auto runs libpcap and logs why in one line', async () => {
    dropCaps.assertAvailable();
    const run = await startWatch('setpriv', [...WITHOUT_CAP_BPF, process.execPath, ...WATCH, '-i', 'any']);
    expect(await run.stop()).toBe(0);
    const expected = existsSync(join(REPO_ROOT, 'native/build/flowaudit-loader')) ? `auto: the eBPF engine cannot run: ${CAP_BPF_LINE}` : expect.stringMatching(/^auto: the eBPF engine cannot run: the eBPF loader is not built/);
    expect(logLine(run.stderr(), 'engine chosen')).toMatchObject({ engine: 'pcap', why: expected });
    expect(logLine(run.stderr(), 'capturing')).toMatchObject({ interface: 'any' });
  });
});

const ebpf = gate(ebpfUnavailable());

describe.skipIf(ebpf.skip)(`watch --engine ebpf, real loader${ebpf.suffix}`, () => {
  it('refuses libpcap\'s --snaplen and --buffer-size in one line, exit 2, rather than ignore them', () => {
    ebpf.assertAvailable();
    expect(watch(['-i', 'fa-w-none*', '--engine', 'ebpf', '--snaplen', '128'])).toEqual({ status: 2, stderr: "flowaudit: watch: --snaplen is libpcap's; the engine is ebpf (--engine ebpf)\n" });
    expect(watch(['-i', 'fa-w-none*', '--buffer-size', '8'])).toEqual({ status: 2, stderr: expect.stringMatching(/^flowaudit: watch: --buffer-size is libpcap's; the engine is ebpf \(auto: .*\)\n$/) });
  });

  it('auto picks the eBPF engine here, serves its metrics, and SIGTERM stops the loader', async () => {
    ebpf.assertAvailable();
    const run = await startWatch(process.execPath, [...WATCH, '-i', 'fa-w-none*', '--ebpf-max-flows', '4096', '--ebpf-ring-bytes', '65536']);
    const started = logLine(run.stderr(), 'flowaudit watch started');
    // The loader was given the map sizes: its Hello says so.
    expect(logLine(run.stderr(), 'eBPF loader running')).toMatchObject({ maxFlows: 4096 });
    expect(logLine(run.stderr(), 'engine chosen')).toMatchObject({ engine: 'ebpf', why: expect.stringMatching(/^auto: the eBPF loader is built/) });
    const loaderPid = logLine(run.stderr(), 'capturing')!.pid as number;
    const series = exposedSeries(await (await fetch(`http://${String(started!.listen)}/metrics`)).text());
    expect(series.get('flowaudit_engine_info{engine="ebpf",attach_mode="tcx"}') ?? series.get('flowaudit_engine_info{engine="ebpf",attach_mode="tc"}')).toBe(1);
    expect(series.get('flowaudit_engine_loader_up')).toBe(1);
    expect(series.get('flowaudit_engine_interfaces_attached')).toBe(0);
    expect(await run.stop()).toBe(0);
    expect(() => process.kill(loaderPid, 0)).toThrow();
  });
});
