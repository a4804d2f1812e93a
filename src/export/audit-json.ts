import type { AuditReport } from '../audit/audit-report.js';
import type { ConnectionCoverage } from '../audit/coverage.js';
import { auditedFlowJson } from './audited-flow-json.js';
import { isoTime } from './iso-time.js';
import type { DocumentFormat, ReportRun } from './report-format.js';
import { runJson } from './run-json.js';
import { withFlows } from './with-flows.js';

export const auditJsonFormat: DocumentFormat = {
  kind: 'document',
  name: 'JSON',
  extensions: ['.json'],
  needsFlows: true,
  render: (report, run, options) => withFlows(JSON.stringify(auditReportJson(report, run, options.failOnUnverified), null, 2), report.flows, auditedFlowJson),
};

/** The full JSON report but its flows (withFlows adds them): matrix, verdict counts, coverage, violation groups, run accounting. */
export function auditReportJson(report: AuditReport, { read: run, dns }: ReportRun, failOnUnverified: boolean): Record<string, unknown> {
  const m = report.matrix;
  return {
    matrix: { name: m.name, title: m.title, hash: m.hash, includes: m.includes, files: m.files },
    compliant: report.compliant(failOnUnverified),
    verdicts: report.verdictCounts,
    violations: report.violations,
    coverage: report.coverage.all().map(coverageJson),
    silent: report.coverage.silent().map((c) => c.connection.id),
    violation_groups: report.violationGroups().map((g) => ({
      kind: g.kind,
      from: g.from,
      to: g.to,
      protocol: g.protocol,
      port: g.port,
      flows: g.flows,
      bytes: g.bytes,
      peer_addresses: g.peerAddresses.size,
      reason: g.examples[0]?.verdict.reason,
      examples: g.examples.map((f) => f.id),
    })),
    notices: report.notices.map((f) => f.id),
    run: runJson(run, dns),
  };
}

function coverageJson(c: ConnectionCoverage): Record<string, unknown> {
  const k = c.connection;
  return {
    id: k.id,
    from: k.from,
    to: k.to,
    protocol: k.protocol,
    ports: k.ports.map((p) => ({ from: p.from, to: p.to })),
    security: k.security,
    optional: k.optional,
    status: c.flows > 0 ? 'seen' : 'silent',
    flows: c.flows,
    packets: c.packets,
    bytes: c.bytes,
    first_seen: c.firstSeen === null ? null : isoTime(c.firstSeen),
    last_seen: c.lastSeen === null ? null : isoTime(c.lastSeen),
    verdicts: c.verdicts,
    source: k.source ?? null,
  };
}
