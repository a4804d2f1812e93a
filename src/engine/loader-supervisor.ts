/**
 * Runs the eBPF loader (native/, the only privileged piece) for as long as the agent runs: spawns
 * it, decodes its stdout (LoaderStreamDecoder) into a sink, logs its stderr lines, and when it
 * dies counts it, reports down and starts it again with backoff. A new loader removes the tc
 * filters an earlier one killed in tc mode left (it does so before attaching; docs/ebpf.md), so
 * restarting is also the cleanup. The agent's live source for `watch --engine ebpf`
 * (src/pipeline/source.ts): start(sink), stats(), close(), downReason(), describe().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { LiveSource, SourceSink } from '../pipeline/source.js';
import type { LoaderEventSink, LoaderHello } from './loader-events.js';
import { defaultLoaderPath } from './loader-path.js';
import { LoaderStreamDecoder, type LoaderStreamError, type LoaderStreamStats } from './loader-stream.js';

export interface LoaderSupervisorOptions {
  /** The loader binary (default: defaultLoaderPath()). */
  readonly loaderPath?: string;
  /** The loader's options (`-i 'veth*'`, `--max-flows N`, ...). */
  readonly args?: readonly string[];
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The first wait before a restart, doubled for each restart in a row, at most maxRetryMs. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  /** How long a loader has to write its Hello before it is taken as hung (killed, restarted). */
  readonly helloTimeoutMs?: number;
  /** How long close() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /** Sees the loader's stdout as it arrives, before decoding (to record a stream for replay). */
  readonly record?: (chunk: Buffer) => void;
}

export interface LoaderSupervisorStats {
  /** Tells these apart from a libpcap capture's state among the agent's sources' stats. */
  readonly engine: 'ebpf';
  /** A loader runs and has said Hello (flowaudit_engine_loader_up). */
  readonly up: boolean;
  /** Loaders started again after one died (flowaudit_engine_loader_restarts_total). */
  readonly restarts: number;
  /** Stream counters, added up over every loader run. */
  readonly stream: LoaderStreamStats;
}

/** The loader could not start at all (first run): its one-line reason. */
export class LoaderStartError extends Error {}

/** The longest stderr line kept whole; a longer one is cut (a loader printing without newlines stays bounded). */
const MAX_STDERR_LINE = 1024;

/** The wait before restart `attempt` (0 first): first, doubling, at most max. */
export function restartDelayMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.min(attempt, 30), maxMs);
}

export class LoaderSupervisor implements LiveSource {
  readonly name = 'ebpf';
  /** Nothing to keep reading at shutdown: close() waits for the loader's last report (every flow, `end: stop`) and the end of its stdout. */
  readonly drainMs = 0;
  private readonly path: string;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly helloTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private sink: LoaderEventSink | undefined;
  private child: ChildProcess | undefined;
  private decoder: LoaderStreamDecoder | undefined;
  private hello: LoaderHello | null = null;
  private helloTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  /** When the running loader said Hello (0: not yet). */
  private upSince = 0;
  private restarts = 0;
  private closed = false;
  private lastError: string | null = 'not started';
  private stderrLine = '';
  /** The last line of the running loader's stderr (or the stream problem it was killed for). */
  private lastStderr: string | undefined;
  /** start()'s promise, until the first loader says Hello or dies. */
  private pendingStart: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Stream counters of the loaders that have exited. */
  private readonly finished: LoaderStreamStats = { events: 0, bytes: 0, malformed: 0, truncated: 0, oversized: 0, discardedBytes: 0 };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LoaderSupervisorOptions) {
    this.path = options.loaderPath ?? defaultLoaderPath();
    this.firstRetryMs = options.firstRetryMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  }

  /**
   * Starts the loader and resolves once it has said Hello. Throws LoaderStartError with its one
   * line if the first one dies before (no binary, a missing capability, bad options): at start,
   * that is the operator's to fix. Once one has run, deaths are restarted instead.
   */
  start(sink: Pick<SourceSink, 'loaderEvents'>): Promise<void> {
    this.sink = sink.loaderEvents;
    return new Promise((resolve, reject) => {
      this.pendingStart = { resolve, reject };
      this.run();
    });
  }

  stats(): LoaderSupervisorStats {
    const now = this.decoder?.stats;
    const stream = { ...this.finished };
    if (now !== undefined) for (const key of Object.keys(stream) as (keyof LoaderStreamStats)[]) stream[key] += now[key];
    return { engine: 'ebpf', up: this.hello !== null, restarts: this.restarts, stream };
  }

  /** Null while the loader runs, else why not (how the last one ended). */
  downReason(): string | null {
    return this.hello !== null ? null : this.lastError;
  }

  describe(): Readonly<Record<string, unknown>> {
    return { loader: this.path, attachMode: this.hello?.attachMode, maxFlows: this.hello?.maxFlows, pid: this.child?.pid };
  }

  /** Stops the loader (SIGTERM, then SIGKILL after stopTimeoutMs) and restarting. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloTimer);
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    // 'close', not 'exit': the last events may still sit in the pipe when the process has exited.
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.options.logger.warn({ pid: child.pid, afterMs: this.stopTimeoutMs }, 'eBPF loader did not stop on SIGTERM; killing it');
      child.kill('SIGKILL');
    }, this.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private run(): void {
    const child = spawn(this.path, this.options.args ?? [], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrLine = '';
    const decoder = new LoaderStreamDecoder(
      (event) => {
        if (event.kind === 'hello') this.onHello(event);
        this.sink!.handle(event);
      },
      (problem) => this.onStreamProblem(child, problem),
    );
    this.decoder = decoder;
    const record = this.options.record;
    child.stdout!.on('data', (chunk: Buffer) => {
      record?.(chunk);
      decoder.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk));
    this.helloTimer = setTimeout(() => {
      this.lastError = `no Hello from the loader within ${this.helloTimeoutMs} ms`;
      child.kill('SIGKILL');
    }, this.helloTimeoutMs);
    child.once('error', (err) => {
      // Spawning failed (ENOENT, EACCES); the 'close' that may follow finds this child gone.
      this.lastError = `cannot run the eBPF loader ${this.path}: ${err.message}`;
      this.onExit(child, decoder);
    });
    child.once('close', (code, signal) => {
      if (this.child !== child) return;
      if (this.stderrLine !== '') this.logStderr();
      this.lastError = exitText(code, signal, this.lastStderr ?? this.lastError);
      this.onExit(child, decoder);
    });
  }

  private onHello(hello: LoaderHello): void {
    clearTimeout(this.helloTimer);
    this.hello = hello;
    this.upSince = Date.now();
    this.lastError = null;
    this.options.logger.info({ pid: this.child?.pid, attachMode: hello.attachMode, maxFlows: hello.maxFlows, restarts: this.restarts }, 'eBPF loader running');
    this.pendingStart?.resolve();
    this.pendingStart = undefined;
  }

  private onExit(child: ChildProcess, decoder: LoaderStreamDecoder): void {
    if (this.child !== child) return; // 'error' and 'exit' may both come
    this.child = undefined;
    clearTimeout(this.helloTimer);
    decoder.end();
    for (const key of Object.keys(this.finished) as (keyof LoaderStreamStats)[]) this.finished[key] += decoder.stats[key];
    this.decoder = undefined;
    this.hello = null;
    this.lastStderr = undefined;
    if (this.pendingStart !== undefined) {
      this.closed = true;
      this.pendingStart.reject(new LoaderStartError(this.lastError ?? 'closed before the eBPF loader started'));
      this.pendingStart = undefined;
      return;
    }
    if (this.closed) return;
    // A loader that ran a while before dying starts the waits over; one that dies soon after each start waits longer each time.
    if (this.upSince > 0 && Date.now() - this.upSince >= this.maxRetryMs) this.attempt = 0;
    this.upSince = 0;
    const delay = restartDelayMs(this.attempt++, this.firstRetryMs, this.maxRetryMs);
    this.options.logger.warn({ reason: this.lastError, retryInMs: delay, restarts: this.restarts }, 'eBPF loader stopped; restarting it');
    this.retryTimer = setTimeout(() => {
      this.restarts++;
      this.run();
    }, delay);
  }

  /**
   * A malformed event is skipped (counted by the decoder); a stream that can no longer be framed
   * (an oversized length) is the loader's fault: it is killed and restarted.
   */
  private onStreamProblem(child: ChildProcess, problem: LoaderStreamError): void {
    this.options.logger.warn({ pid: child.pid, reason: problem.reason, offset: problem.offset }, problem.message);
    if (problem.reason === 'oversized') {
      this.lastStderr = problem.message;
      child.kill('SIGKILL');
    }
  }

  private onStderr(chunk: Buffer): void {
    let text = this.stderrLine + chunk.toString('utf8');
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      this.stderrLine = text.slice(0, newline);
      this.logStderr();
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    this.stderrLine = text.length > MAX_STDERR_LINE ? text.slice(0, MAX_STDERR_LINE) : text;
  }

  private logStderr(): void {
    const line = this.stderrLine.slice(0, MAX_STDERR_LINE);
    this.stderrLine = '';
    if (line.trim() === '') return;
    this.lastStderr = line;
    this.options.logger.warn({ pid: this.child?.pid, loader: line }, 'eBPF loader says');
  }
}

function exitText(code: number | null, signal: NodeJS.Signals | null, lastLine: string | null): string {
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  return lastLine ? `the eBPF loader ${how}: ${lastLine}` : `the eBPF loader ${how}`;
}
