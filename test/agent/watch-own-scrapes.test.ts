/**
 * The agent's own /metrics scrapes, captured on loopback by the agent itself: judged `ignored` as
 * the agent's own traffic, never unknown peers in its metrics or its violation log. Loopback only
 * (no namespaces); needs root and the cap addon, else it skips and says why (fails with CI=true).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { AgentProcess } from '../support/agent-process.js';
import { sleep } from '../support/netns.js';
import { gate } from '../support/tshark.js';
import { newTempDir } from '../support/temp-dir.js';

const live = gate(process.getuid?.() !== 0 ? 'needs root (live capture)' : liveCaptureUnavailable());

describe('flowaudit watch scraped on loopback', () => {
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });

  it.skipIf(live.skip)(`judges its own scrapes ignored, not unknown peers${live.suffix}`, async () => {
    live.assertAvailable();
    const log = join(newTempDir('own').path, 'violations.ndjson');
    agent = await AgentProcess.start(['--interface', 'lo', '--filter', 'tcp', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0', '--violation-log', log, '--flush-interval', '0.5']);
    const port = Number(agent.address.split(':').at(-1));
    await sleep(300); // libpcap attaches after the capture is logged open
    // Each scrape on a connection of its own: curl-like fetches without keep-alive.
    for (let i = 0; i < 3; i++) await fetch(`http://${agent.address}/metrics`, { headers: { connection: 'close' } });
    const m = await agent.waitForMetrics((s) => (s.get('flowaudit_flows_total{rule="none",verdict="ignored"}') ?? 0) >= 3);
    expect(m.get('flowaudit_flows_total{rule="none",verdict="ignored"}')).toBeGreaterThanOrEqual(3);
    agent.signal('SIGTERM');
    expect(await agent.exited()).toEqual({ code: 0, signal: null });
    // Other loopback traffic may violate; none of it may be the agent's own endpoint.
    const records = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { client: { port: number }; server: { port: number } }) : [];
    expect(records.filter((r) => r.server.port === port || r.client.port === port)).toEqual([]);
  }, 30_000);
});
