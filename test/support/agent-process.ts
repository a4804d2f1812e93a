/**
 * `flowaudit watch` as a child process, for tests: started from dist/, its pino log lines (stderr)
 * parsed as they come, its metrics scraped, signals sent, its exit awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { exposedSeries } from './exposition.js';
import { sleep } from './netns.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export class AgentProcess {
  readonly logs: LogLine[] = [];
  /** stderr lines that are not JSON (an error before the logger exists). */
  readonly otherStderr: string[] = [];
  stdout = '';
  address = '';
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.otherStderr.push(line);
        }
      }
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /**
   * Starts `flowaudit watch ARGS` and waits for its "started" log line (its bound address). The
   * libpcap engine unless ARGS name one: these tests are of the agent on libpcap, which auto would
   * leave for the eBPF engine on an Ethernet interface where it can run.
   */
  static async start(args: readonly string[], timeoutMs = 15_000): Promise<AgentProcess> {
    const engine = args.includes('--engine') ? [] : ['--engine', 'pcap'];
    const agent = new AgentProcess(spawn('node', ['dist/bin/flowaudit.js', 'watch', ...engine, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const started = await agent.waitForLog((l) => l.msg === 'flowaudit watch started', timeoutMs);
    agent.address = String(started.listen);
    return agent;
  }

  /** The first log line `match` accepts, waiting for it; throws with what was logged on timeout or exit. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`agent log line not found (exit ${this.child.exitCode}); stderr: ${JSON.stringify([...this.logs, ...this.otherStderr]).slice(0, 2000)}`);
      }
      await sleep(50);
    }
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://${this.address}/metrics`);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  /** Series `name{labels}` -> value of one scrape. */
  async metrics(): Promise<Map<string, number>> {
    return exposedSeries(await this.metricsText());
  }

  /** Scrapes until `accept` holds for the series, or throws with the last scrape. */
  async waitForMetrics(accept: (m: Map<string, number>) => boolean, timeoutMs = 10_000): Promise<Map<string, number>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.metrics();
      if (accept(m)) return m;
      if (Date.now() > deadline) throw new Error(`metrics never matched; last scrape:\n${[...m].filter(([k]) => k.startsWith('flowaudit_')).map(([k, v]) => `${k} ${v}`).join('\n')}`);
      await sleep(200);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async exited(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = sleep(timeoutMs).then(() => {
      throw new Error('agent did not exit in time');
    });
    return Promise.race([this.exit!, timer]);
  }

  /** Ends the process whatever its state (afterAll). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}
