/**
 * A real Prometheus (Debian's `prometheus`) for the deploy tests: started in a temp dir on a free
 * loopback port, scraping what the test names every second and evaluating the alert rules, then
 * queried over its HTTP API. Ended by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../support/loopback-exchange.js';
import { sleep } from '../support/netns.js';

/** One query's answer: Prometheus' error text, or the samples (an instant vector). */
export type QueryResult = { readonly error: string } | { readonly samples: { metric: Record<string, string>; value: string }[] };

export interface RuleHealth {
  readonly name: string;
  readonly health: string;
  readonly lastError?: string;
}

export class PrometheusProcess {
  private stderr = '';

  private constructor(private readonly child: ChildProcess, private readonly base: string) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
  }

  /** Scrapes `target` (host:port) as job flowaudit with `labels`, every second; evaluates `ruleFiles`. */
  static async start(dir: string, target: string, labels: Record<string, string>, ruleFiles: readonly string[]): Promise<PrometheusProcess> {
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ruleFiles,
      scrape_configs: [{ job_name: 'flowaudit', static_configs: [{ targets: [target], labels }] }],
    }));
    const port = await freePort();
    const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const prometheus = new PrometheusProcess(child, `http://127.0.0.1:${port}`);
    await prometheus.waitFor('Prometheus to be ready', 20_000, async () => (await fetch(`${prometheus.base}/-/ready`)).status === 200);
    return prometheus;
  }

  async query(expr: string): Promise<QueryResult> {
    const response = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') return { error: body.error ?? `HTTP ${response.status}` };
    return { samples: body.data!.result.map((r) => ({ metric: r.metric, value: r.value[1] })) };
  }

  /** The samples of `expr`; throws with Prometheus' error if it has one. */
  async samples(expr: string): Promise<{ metric: Record<string, string>; value: string }[]> {
    const result = await this.query(expr);
    if ('error' in result) throw new Error(`${expr}: ${result.error}`);
    return result.samples;
  }

  /** Every rule Prometheus evaluates, with its health after the last evaluation. */
  async rules(): Promise<RuleHealth[]> {
    const body = (await (await fetch(`${this.base}/api/v1/rules`)).json()) as { data: { groups: { rules: RuleHealth[] }[] } };
    return body.data.groups.flatMap((g) => g.rules);
  }

  /** Polls `check` until it holds; throws naming `what`, with Prometheus' last log lines, on timeout or exit. */
  async waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited ${this.child.exitCode} waiting for ${what}: ${this.stderr}`);
      try {
        if (await check()) return;
      } catch {
        // Not up yet, or the series not there yet: try again until the deadline.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.stderr}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}
