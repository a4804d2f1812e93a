/** The agent's audit: verdicts as evidence arrives, each handed on once, counted once. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LiveAuditor } from '../../src/audit/live-auditor.js';
import { AuditMetrics } from '../../src/export/audit-metrics.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { exposedSeries } from '../support/exposition.js';
import { flow, HTTP_GET, TLS_CLIENT_HELLO, TLS_SERVER_HELLO, WEB_TO_API_TLS, webApiMatrix } from './audit-fixtures.js';
import { RecordingSink } from '../support/recording-sink.js';

const CONNECTIONS = `${WEB_TO_API_TLS}  - id: web-to-api-modern
    from: web
    to: api
    protocol: tcp
    ports: [8443]
    security: tls
    minTlsVersion: "1.3"
`;

const update = (f: FlowRecord): FlowRecord => ({ ...f, endReason: 'update', tcpState: 'established' });

function harness(now = 1_700_000_100) {
  const matrix = webApiMatrix('live', CONNECTIONS);
  const registry = new Registry();
  const metrics = new AuditMetrics(matrix, registry, { seenWindowSeconds: 60, now: () => now });
  const recording = new RecordingSink();
  const handed = recording.audited;
  const auditor = new LiveAuditor(matrix, new IdentityIndex(), [metrics, recording]);
  const values = async () => exposedSeries(await registry.metrics());
  return { auditor, handed, values };
}

describe('LiveAuditor', () => {
  it('hands a live verdict on once, and marks the final record whose verdict it already reported', async () => {
    const { auditor, handed, values } = harness();
    const f = flow({ id: 7, client: '10.0.1.5:40000', server: '10.0.2.8:443', toServer: HTTP_GET });
    auditor.onFlowUpdate(update(f));
    auditor.onFlowUpdate(update(f));
    expect(handed.map((a) => [a.endReason, a.verdict.kind, a.verdictReported])).toEqual([['update', 'insecure', false]]);
    expect(auditor.tracked).toBe(1);
    auditor.onFlow(f);
    expect(handed.map((a) => [a.endReason, a.verdict.kind, a.verdictReported])).toEqual([['update', 'insecure', false], ['fin', 'insecure', true]]);
    expect(auditor.tracked).toBe(0);
    const v = await values();
    expect(v.get('flowaudit_flows_total{rule="web-to-api",verdict="insecure"}')).toBe(1);
    expect(v.get('flowaudit_violations_total{kind="insecure",from="web",to="api",port="443"}')).toBe(1);
    // Bytes count at the end only: 300 + 200 from the fixture, not again for the update.
    expect(v.get('flowaudit_rule_bytes_total{rule="web-to-api"}')).toBe(500);
  });

  it('hands on a changed verdict as the handshake arrives, and counts both', async () => {
    const { auditor, handed, values } = harness();
    // A TLS 1.3 minimum: the ClientHello alone cannot show the version, the TLS 1.2 ServerHello can.
    const hello = flow({ id: 8, client: '10.0.1.5:40001', server: '10.0.2.8:8443', toServer: TLS_CLIENT_HELLO });
    const both = { ...hello, toClient: { ...hello.toClient, payload: TLS_SERVER_HELLO } };
    auditor.onFlowUpdate(update(hello));
    auditor.onFlowUpdate(update(both));
    auditor.onFlow(both);
    const kinds = handed.map((a) => a.verdict.kind);
    expect(kinds.slice(0, 2)).toEqual(['unverified', 'weak-tls']);
    expect(handed[2].verdictReported).toBe(true);
    const v = await values();
    expect(v.get('flowaudit_flows_total{rule="web-to-api-modern",verdict="unverified"}')).toBe(1);
    expect(v.get('flowaudit_flows_total{rule="web-to-api-modern",verdict="weak-tls"}')).toBe(1);
    expect(v.get('flowaudit_violations_total{kind="weak-tls",from="web",to="api",port="8443"}')).toBe(1);
  });

  it('a flow that ends before any update is judged and counted at its end', async () => {
    const { auditor, handed, values } = harness();
    auditor.onFlow(flow({ client: '10.0.1.5:40002', server: '10.0.2.8:8080' }));
    expect(handed).toHaveLength(1);
    expect(handed[0].verdictReported).toBe(false);
    expect((await values()).get('flowaudit_flows_total{rule="none",verdict="unexpected"}')).toBe(1);
  });
});

describe('flowaudit_rule_seen with a window', () => {
  it('reads 1 while the rule was used within the window of now, 0 before and after', async () => {
    let now = 1_700_000_000;
    const matrix = webApiMatrix('live', CONNECTIONS);
    const registry = new Registry();
    const metrics = new AuditMetrics(matrix, registry, { seenWindowSeconds: 60, now: () => now });
    const auditor = new LiveAuditor(matrix, new IdentityIndex(), [metrics]);
    const seen = async () => /flowaudit_rule_seen\{rule="web-to-api"\} (\d+)/.exec(await registry.metrics())![1];
    expect(await seen()).toBe('0');
    auditor.onFlowUpdate(update(flow({ client: '10.0.1.5:40003', server: '10.0.2.8:443', toServer: HTTP_GET, firstSeen: now, lastSeen: now })));
    now += 30;
    expect(await seen()).toBe('1');
    now += 31;
    expect(await seen()).toBe('0');
  });
});
