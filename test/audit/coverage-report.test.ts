/**
 * Coverage of every expected connection (seen with counts, bytes and times, or silent) and the
 * report's accounting: verdict counts, violation groups with examples, notices, compliance.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionCoverage } from '../../src/audit/coverage.js';
import { REPORT_MATRIX } from '../export/report-scenario.js';
import { audit, flow, HTTP_GET, inventoryIndex, matrixFrom, TLS_CLIENT_HELLO, TLS_SERVER_HELLO } from './audit-fixtures.js';

// The reports' matrix: its extra port range and source citation change nothing here.
const matrix = matrixFrom(REPORT_MATRIX);
const none = inventoryIndex('entries: []\n');
const tls = { toServer: TLS_CLIENT_HELLO, toClient: TLS_SERVER_HELLO };

function run() {
  const flows = [
    flow({ id: 1, client: '10.0.1.5:40001', server: '10.0.2.8:443', ...tls, firstSeen: 1000, lastSeen: 1010, packets: [5, 4], bytes: [500, 400] }),
    flow({ id: 2, client: '10.0.1.5:40002', server: '10.0.2.8:443', toServer: HTTP_GET, firstSeen: 990, lastSeen: 1020, packets: [3, 3], bytes: [300, 350] }),
    flow({ id: 3, client: '10.0.1.6:40003', server: '10.0.2.9:443', firstSeen: 1005, lastSeen: 1006, packets: [2, 1], bytes: [120, 60] }),
    // The `to` side opening: wrong-initiator, and no traffic for the rule's own direction.
    flow({ id: 4, client: '10.0.2.8:40004', server: '10.0.1.5:443', firstSeen: 500, lastSeen: 5000, packets: [9, 9], bytes: [9000, 9000] }),
    flow({ id: 5, client: '10.0.2.8:40005', server: '10.0.3.3:5432', firstSeen: 2000, lastSeen: 2005, packets: [10, 8], bytes: [1000, 8000] }),
    flow({ id: 6, client: '10.0.3.3:40006', server: '10.0.2.8:5432', firstSeen: 3000, lastSeen: 3001 }),
    flow({ id: 7, client: '172.16.0.1:40007', server: '10.0.2.8:443', bytes: [100, 0] }),
    flow({ id: 8, client: '172.16.0.1:40008', server: '10.0.2.8:443', bytes: [100, 0] }),
    flow({ id: 9, client: '172.16.0.1:40009', server: '10.0.2.8:443', bytes: [100, 0] }),
    ...[10, 11, 12, 13, 14, 15, 16].map((id) => flow({ id, client: `10.0.1.5:${40000 + id}`, server: '10.0.3.3:22', bytes: [10, 10] })),
    flow({ id: 17, client: '10.0.3.3:40017', server: '10.0.7.1:7000', firstSeen: 4000, lastSeen: 4002 }),
  ];
  return audit(matrix, none, flows);
}

function coverageOf(id: string, all: readonly ConnectionCoverage[]): ConnectionCoverage {
  const c = all.find((x) => x.connection.id === id);
  if (c === undefined) throw new Error(`no coverage for ${id}`);
  return c;
}

describe('coverage', () => {
  const { report, audited } = run();
  const all = report.coverage.all();

  it('has one entry per connection, in matrix order', () => {
    expect(all.map((c) => c.connection.id)).toEqual(['web-to-api', 'api-to-db', 'api-to-logs', 'web-to-logs', 'db-backup']);
  });

  it('counts the flows the rule decided, insecure and unverified included, with packets, bytes and first/last time', () => {
    expect(audited.slice(0, 3).map((f) => f.verdict.kind)).toEqual(['allowed', 'insecure', 'unverified']);
    const c = coverageOf('web-to-api', all);
    expect({ flows: c.flows, packets: c.packets, bytes: c.bytes, firstSeen: c.firstSeen, lastSeen: c.lastSeen, verdicts: c.verdicts }).toEqual({
      flows: 3,
      packets: 9 + 6 + 3,
      bytes: 900 + 650 + 180,
      firstSeen: 990,
      lastSeen: 1020,
      verdicts: { allowed: 1, insecure: 1, unverified: 1 },
    });
  });

  it('does not count wrong-initiator flows for their rule', () => {
    expect(audited[3].verdict).toMatchObject({ kind: 'wrong-initiator', ruleId: 'web-to-api' });
    expect(audited[5].verdict).toMatchObject({ kind: 'wrong-initiator', ruleId: 'api-to-db' });
    const c = coverageOf('api-to-db', all);
    expect([c.flows, c.packets, c.bytes, c.firstSeen, c.lastSeen, c.verdicts]).toEqual([1, 18, 9000, 2000, 2005, { allowed: 1 }]);
  });

  it('leaves unused connections at zero with no times', () => {
    const c = coverageOf('api-to-logs', all);
    expect([c.flows, c.packets, c.bytes, c.firstSeen, c.lastSeen, c.verdicts]).toEqual([0, 0, 0, null, null, {}]);
  });

  it('silent lists the required connections no flow used, not the optional ones', () => {
    expect(report.coverage.silent().map((c) => c.connection.id)).toEqual(['api-to-logs']);
    expect(coverageOf('web-to-logs', all).flows).toBe(0);
  });

  it('counts a notice flow for its (optional) rule', () => {
    expect(coverageOf('db-backup', all).flows).toBe(1);
  });
});

describe('report', () => {
  const { report } = run();

  it('counts every verdict kind, zero included', () => {
    expect(report.verdictCounts).toEqual({
      allowed: 3,
      unverified: 1,
      insecure: 1,
      'weak-tls': 0,
      'mtls-missing': 0,
      'wrong-initiator': 2,
      unexpected: 7,
      'unknown-peer': 3,
      ignored: 0,
    });
    expect(report.violations).toBe(1 + 2 + 7 + 3);
  });

  it('keeps every flow when asked, in arrival order, and lists notices', () => {
    expect(report.flows.map((f) => f.id)).toEqual([...Array(17).keys()].map((i) => i + 1));
    expect(report.notices.map((f) => f.id)).toEqual([17]);
  });

  it('groups violations (and unverified flows) by kind, roles, protocol and port, most important kind first, then largest', () => {
    const groups = report.violationGroups().map((g) => ({ kind: g.kind, from: g.from, to: g.to, protocol: g.protocol, port: g.port, flows: g.flows, bytes: g.bytes, examples: g.examples.map((f) => f.id) }));
    expect(groups).toEqual([
      { kind: 'insecure', from: 'web', to: 'api', protocol: 'tcp', port: 443, flows: 1, bytes: 650, examples: [2] },
      { kind: 'wrong-initiator', from: 'api', to: 'web', protocol: 'tcp', port: 443, flows: 1, bytes: 18000, examples: [4] },
      { kind: 'wrong-initiator', from: 'db', to: 'api', protocol: 'tcp', port: 5432, flows: 1, bytes: 500, examples: [6] },
      { kind: 'unexpected', from: 'web', to: 'db', protocol: 'tcp', port: 22, flows: 7, bytes: 140, examples: [10, 11, 12, 13, 14] },
      { kind: 'unknown-peer', from: '172.16.0.0/24', to: 'api', protocol: 'tcp', port: 443, flows: 3, bytes: 300, examples: [7, 8, 9] },
      { kind: 'unverified', from: 'web', to: 'api', protocol: 'tcp', port: 443, flows: 1, bytes: 180, examples: [3] },
    ]);
  });

  it('is not compliant with violations or a silent required connection', () => {
    expect(report.compliant(false)).toBe(false);
  });
});

describe('compliance', () => {
  const allSeen = (extra: ReturnType<typeof flow>[]) =>
    audit(matrix, none, [
      flow({ client: '10.0.1.5:41001', server: '10.0.2.8:443', ...tls }),
      flow({ client: '10.0.2.8:41002', server: '10.0.3.3:5432' }),
      flow({ client: '10.0.2.8:41003', server: '10.0.7.1:20001', ...tls }),
      ...extra,
    ]).report;

  it('compliant when every required connection is seen and nothing violates; optional ones may be silent', () => {
    const report = allSeen([]);
    expect(report.coverage.silent()).toEqual([]);
    expect(report.violations).toBe(0);
    expect(report.compliant(false)).toBe(true);
    expect(report.compliant(true)).toBe(true);
  });

  it('unverified flows fail only with failOnUnverified', () => {
    const report = allSeen([flow({ client: '10.0.2.8:41004', server: '10.0.7.1:20001' })]);
    expect(report.verdictCounts.unverified).toBe(1);
    expect(report.violations).toBe(0);
    expect(report.compliant(false)).toBe(true);
    expect(report.compliant(true)).toBe(false);
  });

  it('a silent required connection alone fails the audit', () => {
    const report = audit(matrix, none, [flow({ client: '10.0.1.5:41005', server: '10.0.2.8:443', ...tls })]).report;
    expect(report.violations).toBe(0);
    expect(report.coverage.silent().map((c) => c.connection.id)).toEqual(['api-to-db', 'api-to-logs']);
    expect(report.compliant(false)).toBe(false);
  });

  it('one violating flow fails the audit', () => {
    const report = allSeen([flow({ client: '10.0.1.5:41006', server: '10.0.2.8:444' })]);
    expect(report.compliant(false)).toBe(false);
  });
});
