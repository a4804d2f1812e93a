/** The full JSON report: matrix, compliance, counts, coverage, violation groups, notices, run, flows. */
import { describe, expect, it } from 'vitest';
import { auditJsonFormat, auditReportJson } from '../../src/export/audit-json.js';
import { auditedFlowJson } from '../../src/export/audited-flow-json.js';
import { audit, flow, inventoryIndex, TLS_CLIENT_HELLO } from '../audit/audit-fixtures.js';
import { fakeRun, reportScenario } from './report-scenario.js';
import type { DnsTapStats } from '../../src/identity/dns-answer-tap.js';

const NO_DNS: DnsTapStats = { responses: 0, mappings: 0, failures: 0 };

describe('JSON report', () => {
  const { report } = reportScenario();
  // As a reader of the file sees it.
  const json = JSON.parse([...auditJsonFormat.render(report, { read: fakeRun(), dns: NO_DNS }, { failOnUnverified: false, maxGroups: 15, ndjsonRecords: 'flows' })].join('')) as Record<string, any>;

  it('has the documented sections, in order', () => {
    expect(Object.keys(json)).toEqual(['matrix', 'compliant', 'verdicts', 'violations', 'coverage', 'silent', 'violation_groups', 'notices', 'run', 'flows']);
  });

  it('names the matrix that judged the run', () => {
    expect(json.matrix).toEqual({ name: 'reports', title: 'Reports test matrix', hash: report.matrix.hash, includes: [], files: report.matrix.files });
    expect(json.matrix.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(json.matrix.files).toHaveLength(1);
    expect(json.matrix.files[0]).toMatch(/matrix\.yaml$/);
  });

  it('compliance, verdict counts and violations', () => {
    expect(json.compliant).toBe(false);
    expect(json.verdicts).toEqual({ allowed: 3, unverified: 1, insecure: 1, 'weak-tls': 0, 'mtls-missing': 0, 'wrong-initiator': 1, unexpected: 2, 'unknown-peer': 1, ignored: 0 });
    expect(json.violations).toBe(5);
  });

  it('coverage of every expected connection, seen or silent, with its source', () => {
    expect(json.coverage.map((c: any) => [c.id, c.status, c.flows])).toEqual([
      ['web-to-api', 'seen', 3],
      ['api-to-db', 'seen', 1],
      ['api-to-logs', 'silent', 0],
      ['web-to-logs', 'silent', 0],
      ['db-backup', 'seen', 1],
    ]);
    expect(json.coverage[0]).toEqual({
      id: 'web-to-api',
      from: 'web',
      to: 'api',
      protocol: 'tcp',
      ports: [{ from: 443, to: 443 }],
      security: 'tls',
      optional: false,
      status: 'seen',
      flows: 3,
      packets: 18,
      bytes: 1730,
      first_seen: '2023-11-14T22:13:20.000000Z',
      last_seen: '2023-11-14T22:13:51.000000Z',
      verdicts: { allowed: 1, insecure: 1, unverified: 1 },
      source: { document: 'Vendor ports page', row: 'web -> api 443 TLS' },
    });
    expect(json.coverage[1].ports).toEqual([{ from: 5432, to: 5432 }, { from: 6000, to: 6001 }]);
    expect(json.coverage[3]).toMatchObject({ id: 'web-to-logs', optional: true, status: 'silent', first_seen: null, last_seen: null, verdicts: {}, source: null });
    expect(json.silent).toEqual(['api-to-logs']);
  });

  it('violation groups, most important first, with their unknown addresses, reason and example flow ids', () => {
    expect(json.violation_groups).toEqual([
      { kind: 'insecure', from: 'web', to: 'api', protocol: 'tcp', port: 443, flows: 1, bytes: 650, peer_addresses: 0, reason: 'Rule web-to-api requires TLS for web -> api, but the capture shows plaintext (http)', examples: [2] },
      { kind: 'wrong-initiator', from: 'api', to: 'web', protocol: 'tcp', port: 443, flows: 1, bytes: 100, peer_addresses: 0, reason: 'Rule web-to-api allows web -> api, but api opened this connection', examples: [4] },
      { kind: 'unexpected', from: 'web', to: 'db', protocol: 'tcp', port: 22, flows: 2, bytes: 400, peer_addresses: 0, reason: 'No rule allows tcp/22 from web to db', examples: [7, 8] },
      { kind: 'unknown-peer', from: '172.16.0.0/24', to: 'api', protocol: 'tcp', port: 443, flows: 1, bytes: 60, peer_addresses: 1, reason: 'Client 172.16.0.1 matches no component', examples: [6] },
      { kind: 'unverified', from: 'web', to: 'api', protocol: 'tcp', port: 443, flows: 1, bytes: 180, peer_addresses: 0, reason: 'Rule web-to-api requires TLS for web -> api, which the capture cannot prove: no payload captured', examples: [3] },
    ]);
    expect(json.notices).toEqual([9]);
  });

  it("the run's accounting, name resolution as an object", () => {
    expect(json.run.captures).toEqual([
      { file: 'capture.pcap', format: 'pcap', compressed: false, packets: 42, bytes: 4200, truncated_packets: 0, sections: 0, interfaces: [], resolved_names: { '10.0.2.8': ['api.local'] }, skipped_blocks: 0, warnings: [], damage: null },
    ]);
    expect(json.run.decode).toEqual({ ok: 42 });
    expect(json.run.table.flows_emitted).toBe(9);
    expect(json.run.dns).toEqual(NO_DNS);
  });

  it('every flow, as the NDJSON record', () => {
    expect(json.flows).toHaveLength(9);
    expect(json.flows).toEqual(report.flows.map((f) => JSON.parse(auditedFlowJson(f))));
  });

  it('compliant follows failOnUnverified', () => {
    const { report: clean } = audit(report.matrix, inventoryIndex('entries: []\n'), [
      flow({ client: '10.0.1.5:41001', server: '10.0.2.8:443', toServer: TLS_CLIENT_HELLO }),
      flow({ client: '10.0.2.8:41002', server: '10.0.3.3:5432' }),
      flow({ client: '10.0.2.8:41003', server: '10.0.7.1:20001' }),
    ]);
    expect(auditReportJson(clean, { read: fakeRun(), dns: NO_DNS }, false)).toMatchObject({ compliant: true, violations: 0, silent: [] });
    expect(auditReportJson(clean, { read: fakeRun(), dns: NO_DNS }, true).compliant).toBe(false);
  });
});
