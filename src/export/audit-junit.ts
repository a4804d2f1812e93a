import type { AuditReport } from '../audit/audit-report.js';
import { formatPortRange } from '../audit/matrix-values.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';
import type { DocumentFormat } from './report-format.js';

export const auditJunitFormat: DocumentFormat = {
  kind: 'document',
  name: 'JUnit',
  extensions: ['.xml'],
  needsFlows: false,
  render: (report, _run, options) => [auditJunitXml(report, options.failOnUnverified)],
};

/**
 * JUnit XML for CI gates: one test case per expected connection (fails when a required one is
 * silent, skipped when an optional one is) and one per violation group (fails; unverified groups
 * fail only with --fail-on-unverified, else they are skipped with the reason).
 */
export function auditJunitXml(report: AuditReport, failOnUnverified: boolean): string {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  for (const c of report.coverage.all()) {
    const k = c.connection;
    const name = `${k.id}: ${k.from} -> ${k.to} ${k.protocol}/${k.ports.map(formatPortRange).join(',')} ${k.security}`;
    if (c.flows > 0) {
      cases.push(testCase('connections', name, `<system-out>${esc(`${c.flows} flow${c.flows === 1 ? '' : 's'}, ${c.bytes} bytes`)}</system-out>`));
    } else if (k.optional) {
      skipped++;
      cases.push(testCase('connections', name, '<skipped message="optional connection not seen"/>'));
    } else {
      failures++;
      cases.push(testCase('connections', name, `<failure type="silent" message="${esc(`required connection ${k.id} carried no flow`)}"/>`));
    }
  }
  for (const g of report.violationGroups()) {
    const name = `${g.kind}: ${g.from} -> ${g.to} ${g.protocol}/${g.port}`;
    const detail = `${g.flows} flow${g.flows === 1 ? '' : 's'}; ${g.examples[0]?.verdict.reason ?? ''}; e.g. ${g.examples.map((f) => `${f.client.address}:${f.client.port} -> ${f.server.address}:${f.server.port}`).join(', ')}`;
    if (VIOLATION_KINDS.has(g.kind) || failOnUnverified) {
      failures++;
      cases.push(testCase('violations', name, `<failure type="${g.kind}" message="${esc(detail)}"/>`));
    } else {
      skipped++;
      cases.push(testCase('violations', name, `<skipped message="${esc(detail)}"/>`));
    }
  }
  const suite = `flowaudit ${report.matrix.name}`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="flowaudit" tests="${cases.length}" failures="${failures}" skipped="${skipped}">\n` +
    `  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" errors="0">\n` +
    cases.map((c) => `    ${c}\n`).join('') +
    `  </testsuite>\n</testsuites>\n`
  );
}

function testCase(classname: string, name: string, body: string): string {
  return `<testcase classname="${classname}" name="${esc(name)}">${body}</testcase>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
