/** The agent's warm-up: synthetic traffic of every kind through a throwaway pipeline. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildAgentPipeline } from '../../src/agent/agent-pipeline.js';
import { WARM_UP_TABLE, warmUp } from '../../src/agent/warm-up.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { matrixFrom } from '../audit/audit-fixtures.js';
import { exposedSeries } from '../support/exposition.js';

/** The warm-up's clients, and its servers known by the name its DNS answers and SNI give them. */
const MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: warm
  title: Warm-up test matrix
components:
  clients:
    match:
      - cidrs: ["198.18.0.0/16"]
  named:
    match:
      - hostnames: [warm-up.flowaudit.invalid]
connections:
  - { id: clients-to-named, from: clients, to: named, protocol: tcp, ports: [443], security: tls }
`;

describe('warmUp', () => {
  it('runs TLS, plaintext, unanswered SYN and DNS flows through the pipeline it is given, judges each live and at its end, and leaves none', async () => {
    const registry = new Registry();
    const records: Record<string, unknown>[] = [];
    const pipeline = buildAgentPipeline(matrixFrom(MATRIX), new IdentityIndex(), registry, {
      table: WARM_UP_TABLE, seenWindowSeconds: 600, dnsGraceSeconds: 600, violationWriters: [(line) => records.push(JSON.parse(line))],
    });
    warmUp(pipeline);

    const packets = pipeline.flows.table.stats.packets;
    expect(pipeline.flows.packets.decoder.reasonCounts()).toEqual({ ok: packets });
    expect(pipeline.dnsTap.stats).toMatchObject({ responses: packets / 12, failures: 0 });
    expect(pipeline.flows.table.stats).toMatchObject({ flowsStarted: packets / 3, flowsEmitted: packets / 3, evicted: 0 });
    expect(pipeline.flows.table.liveFlows).toBe(0);
    // Live verdicts (first payload) and final ones, for every kind of flow.
    const ends = new Set(records.map((r) => `${r.protocol} ${r.tcp_state} ${r.end_reason}`));
    expect([...ends].sort()).toEqual(expect.arrayContaining(['tcp closed update', 'tcp reset update', 'tcp syn-sent idle-timeout', 'udp none update']));
    // Flows to 443 reach the rule through their server's name (DNS answer, SNI): the ClientHello
    // with no answer is unverified, the HTTP request insecure.
    const series = exposedSeries(await registry.metrics());
    expect(series.get('flowaudit_flows_total{rule="clients-to-named",verdict="unverified"}')).toBeGreaterThan(0);
    expect(series.get('flowaudit_flows_total{rule="clients-to-named",verdict="insecure"}')).toBeGreaterThan(0);
  });
});
