/**
 * LoaderSupervisor with a fake loader (test/fixtures/loader/fake-loader.mjs, run by node) that
 * writes the recorded stream of a real loader run and then stays, crashes, hangs or breaks its
 * stream: restarts with backoff, counts, the down reason, a stream that cannot be framed killed
 * and restarted, a malformed event skipped, close() ending even a loader that ignores SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoaderEvent } from '../../src/engine/loader-events.js';
import { decodeLoaderStream } from '../../src/engine/loader-stream.js';
import { LoaderStartError, LoaderSupervisor, restartDelayMs, type LoaderSupervisorOptions } from '../../src/engine/loader-supervisor.js';
import { waitFor } from '../ebpf/pod-lab.js';
import { processAlive } from '../support/process-alive.js';

const FAKE = fileURLToPath(new URL('../fixtures/loader/fake-loader.mjs', import.meta.url));
const STREAM = fileURLToPath(new URL('../fixtures/loader/pods.stream', import.meta.url));
const RECORDED_EVENTS = readFileSync(STREAM);

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(lines: LogLine[]): LoaderSupervisorOptions['logger'] {
  const at = (level: LogLine['level']) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { info: at('info'), warn: at('warn'), error: at('error') } as unknown as LoaderSupervisorOptions['logger'];
}

const running: LoaderSupervisor[] = [];

function supervise(mode: string, options: Partial<LoaderSupervisorOptions> = {}) {
  const log: LogLine[] = [];
  const events: LoaderEvent[] = [];
  const supervisor = new LoaderSupervisor({
    loaderPath: process.execPath,
    args: [FAKE, mode, STREAM],
    logger: recordingLogger(log),
    firstRetryMs: 20,
    maxRetryMs: 160,
    stopTimeoutMs: 200,
    ...options,
  });
  running.push(supervisor);
  return { supervisor, log, events, started: supervisor.start({ loaderEvents: { handle: (e) => events.push(e) } }) };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('LoaderSupervisor', () => {
  it('delivers every event of the stream, says up once the Hello came, logs stderr lines, and stops the loader with SIGTERM', async () => {
    const { supervisor, log, events, started } = supervise('stay');
    await started;
    expect(supervisor.stats().up).toBe(true);
    expect(supervisor.downReason()).toBeNull();
    const expected = decodeLoaderStream(RECORDED_EVENTS).events;
    await waitFor(() => events.length === expected.length, 'every event');
    expect(events).toEqual(expected);
    await waitFor(() => log.some((l) => l.fields.loader === 'attached 6 interfaces'), 'the stderr line');
    const pid = supervisor.describe().pid as number;
    await supervisor.close();
    expect(processAlive(pid)).toBe(false);
    expect(supervisor.stats()).toMatchObject({ up: false, restarts: 0, stream: { events: expected.length, bytes: RECORDED_EVENTS.length, malformed: 0, truncated: 0 } });
  });

  it('restarts a loader that dies, waiting 20, 40, 80, 160, 160 ms, counts each restart and reports down in between', async () => {
    const { supervisor, log, started } = supervise('crash');
    await started;
    await waitFor(() => supervisor.stats().restarts >= 5, 'five restarts');
    const waits = log.filter((l) => l.message === 'eBPF loader stopped; restarting it').map((l) => l.fields.retryInMs);
    expect(waits.slice(0, 5)).toEqual([20, 40, 80, 160, 160]);
    expect(log.find((l) => l.message === 'eBPF loader stopped; restarting it')!.fields.reason).toBe('the eBPF loader was killed by SIGKILL');
    await waitFor(() => !supervisor.stats().up, 'down');
    expect(supervisor.downReason()).toBe('the eBPF loader was killed by SIGKILL');
  });

  it('doubles the wait up to the bound, and starts from the first wait again after a long run', () => {
    expect([0, 1, 2, 3, 4, 40].map((a) => restartDelayMs(a, 1000, 30_000))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000]);
  });

  it('fails start() with the loader\'s own line when the first loader dies before its Hello', async () => {
    const { supervisor, started } = supervise('exit-3');
    await expect(started).rejects.toThrow(
      new LoaderStartError('the eBPF loader exited with code 3: flowaudit-loader: missing capability CAP_BPF (to load the eBPF programs and create and read their maps)'),
    );
    expect(supervisor.stats()).toMatchObject({ up: false, restarts: 0 });
  });

  it('fails start() naming the path when there is no loader binary', async () => {
    const { started } = supervise('stay', { loaderPath: '/nonexistent/flowaudit-loader' });
    await expect(started).rejects.toThrow(/^cannot run the eBPF loader \/nonexistent\/flowaudit-loader: spawn \/nonexistent\/flowaudit-loader ENOENT$/);
  });

  it('kills a loader that says no Hello in time', async () => {
    const { started } = supervise('hang', { helloTimeoutMs: 300 });
    await expect(started).rejects.toThrow('the eBPF loader was killed by SIGKILL: no Hello from the loader within 300 ms');
  });

  it('kills and restarts a loader whose stream can no longer be framed (a 2 GB length), and counts it', async () => {
    const { supervisor, log, started } = supervise('oversized');
    await started;
    await waitFor(() => supervisor.stats().restarts >= 1, 'a restart');
    expect(supervisor.stats().stream.oversized).toBeGreaterThanOrEqual(1);
    const stopped = log.find((l) => l.message === 'eBPF loader stopped; restarting it')!;
    expect(stopped.fields.reason).toBe('the eBPF loader was killed by SIGKILL: loader stream: oversized event at byte 21: length 2147483648 exceeds 65536');
  });

  it('skips and counts a malformed event and delivers the rest, without a restart', async () => {
    const { supervisor, events, log, started } = supervise('malformed');
    await started;
    const expected = decodeLoaderStream(RECORDED_EVENTS).events;
    await waitFor(() => events.length === expected.length, 'every event');
    expect(events).toEqual(expected);
    expect(supervisor.stats()).toMatchObject({ up: true, restarts: 0, stream: { malformed: 1 } });
    expect(log.some((l) => l.level === 'warn' && /^loader stream: malformed event at byte 21: /.test(l.message))).toBe(true);
  });

  it('close() kills a loader that ignores SIGTERM after the stop timeout, and restarts nothing', async () => {
    const { supervisor, log, started } = supervise('stubborn');
    await started;
    const pid = supervisor.describe().pid as number;
    const t0 = Date.now();
    await supervisor.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(processAlive(pid)).toBe(false);
    expect(log.some((l) => l.message === 'eBPF loader did not stop on SIGTERM; killing it')).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(supervisor.stats()).toMatchObject({ up: false, restarts: 0 });
    await supervisor.close(); // idempotent
  });
});
