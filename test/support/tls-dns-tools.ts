import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

/** The first of `tools` not on the PATH, or undefined when all are. */
export function missingTool(tools: readonly string[]): string | undefined {
  return tools.find((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
}

/** Why live capture cannot run here (needs root and the tools), or undefined when it can. */
export function liveCaptureBlocker(tools: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'live capture needs root (tcpdump)';
  const missing = missingTool(tools);
  return missing === undefined ? undefined : `live capture needs ${missing}, which is not installed`;
}

/**
 * Registers a placeholder for tests that cannot run here: skipped with the reason, except under
 * CI=true, where a missing prerequisite is a failure.
 */
export function reportBlocked(what: string, reason: string): void {
  if (process.env.CI === 'true') {
    it(`${what} (required under CI)`, () => {
      throw new Error(`${what} cannot run: ${reason}`);
    });
  } else {
    it.skip(`${what}: skipped, ${reason}`, () => {});
  }
}

/** Runs tshark over a capture and returns its field rows (tab-separated, one row per packet). */
export function tsharkFields(path: string, fields: readonly string[], extra: readonly string[] = []): string[][] {
  const args = ['-r', path, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`tshark failed: ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Runs a fixture script, throwing with its stderr when it fails. */
export function runScript(script: string, args: readonly string[], timeoutMs = 60_000): void {
  const run = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (run.status !== 0) throw new Error(`${script} failed (${run.status ?? run.signal}): ${run.stderr}`);
}

/** A port base in 21000..28990, a multiple of 10, so concurrent runs rarely meet. */
export function randomPortBase(): number {
  return 21000 + 10 * Math.floor(Math.random() * 800);
}
