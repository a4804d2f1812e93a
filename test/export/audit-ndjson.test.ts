/** NDJSON records: one parseable JSON object per line with the documented fields; violations-only mode. */
import { describe, expect, it } from 'vitest';
import { AuditNdjsonSink } from '../../src/export/audit-ndjson.js';
import type { NdjsonRecords } from '../../src/export/report-format.js';
import { communityId } from '../../src/export/community-id.js';
import { reportScenario } from './report-scenario.js';

/** The flow's own fields (as `flows` writes them), then the audit's (docs/output.md). */
const FIELDS = [
  'id', 'community_id', 'protocol', 'ip_version', 'client', 'server', 'initiator_evidence', 'first_seen', 'last_seen', 'duration',
  'to_server', 'to_client', 'tcp_state', 'end_reason', 'continued', 'later_fragments',
  'verdict', 'reason', 'rule', 'notice', 'security', 'security_detail', 'tls',
];

function records(which: NdjsonRecords, failOnUnverified = false): Record<string, unknown>[] {
  const { audited } = reportScenario();
  const lines: string[] = [];
  const sink = new AuditNdjsonSink(which, (line) => lines.push(line), failOnUnverified);
  for (const f of audited) sink.onAuditedFlow(f);
  for (const line of lines) expect(line).not.toContain('\n');
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('NDJSON records', () => {
  it('one record per flow, in order, each with exactly the documented fields', () => {
    const all = records('flows');
    expect(all.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of all) expect(Object.keys(r)).toEqual(FIELDS);
  });

  it('a record in full', () => {
    expect(records('flows')[1]).toEqual({
      id: 2,
      community_id: communityId('tcp', '10.0.1.5', 40002, '10.0.2.8', 443),
      protocol: 'tcp',
      ip_version: 4,
      client: { address: '10.0.1.5', port: 40002, component: 'web', components: [{ name: 'web', via: 'cidr 10.0.1.0/24' }], names: [] },
      server: { address: '10.0.2.8', port: 443, component: 'api', components: [{ name: 'api', via: 'cidr 10.0.2.0/24' }], names: [] },
      initiator_evidence: 'syn',
      first_seen: '2023-11-14T22:13:40.000000Z',
      last_seen: '2023-11-14T22:13:41.000000Z',
      duration: 1,
      to_server: { packets: 3, bytes: 300, payload_kept: 29, payload_stop: 'end' },
      to_client: { packets: 3, bytes: 350, payload_kept: 38, payload_stop: 'end' },
      tcp_state: 'closed',
      end_reason: 'fin',
      continued: false,
      later_fragments: 0,
      verdict: 'insecure',
      reason: 'Rule web-to-api requires TLS for web -> api, but the capture shows plaintext (http)',
      rule: 'web-to-api',
      notice: false,
      security: 'plaintext',
      security_detail: 'plaintext (http)',
      tls: null,
    });
  });

  it('the TLS evidence as fields: version, SNI, ALPN, cipher suite, client certificate, upgrade', () => {
    // Flow 1: a ClientHello without extensions and a TLS 1.2 ServerHello choosing 0xc02f, nothing after.
    expect(records('flows')[0].tls).toEqual({ version: '1.2', sni: null, alpn_offered: [], alpn: null, cipher_suite: '0xc02f', client_certificate: 'unknown', upgraded: null });
  });

  it('an unknown end has no component; a flow no rule decided has rule null', () => {
    const r = records('flows')[5];
    expect([r.verdict, r.client, r.rule]).toEqual(['unknown-peer', { address: '172.16.0.1', port: 40006, component: null, components: [], names: [] }, null]);
  });

  it('never carries payload bytes', () => {
    const all = records('flows');
    const text = JSON.stringify(all);
    expect(text).not.toContain('GET /');
    expect(text).not.toContain('HTTP/1.1');
    // Only how many payload bytes were kept and why they stop, never the bytes.
    expect(new Set(text.match(/"payload[a-z_]*"/g))).toEqual(new Set(['"payload_kept"', '"payload_stop"']));
    for (const r of all) for (const d of [r.to_server, r.to_client] as Record<string, unknown>[]) expect(Object.keys(d)).toEqual(['packets', 'bytes', 'payload_kept', 'payload_stop']);
  });

  it('violations mode keeps only violating flows', () => {
    expect(records('violations').map((r) => [r.id, r.verdict])).toEqual([
      [2, 'insecure'],
      [4, 'wrong-initiator'],
      [6, 'unknown-peer'],
      [7, 'unexpected'],
      [8, 'unexpected'],
    ]);
  });

  it('violations mode includes unverified flows when the audit fails on them', () => {
    expect(records('violations', true).map((r) => r.id)).toEqual([2, 3, 4, 6, 7, 8]);
  });
});
