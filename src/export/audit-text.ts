import type { AuditReport } from '../audit/audit-report.js';
import type { AuditedFlow } from '../audit/audited-flow.js';
import { formatPortRange } from '../audit/matrix-values.js';
import { VERDICT_KINDS, VIOLATION_KINDS } from '../audit/verdict.js';
import { isoTime } from './iso-time.js';

/**
 * The human summary `analyze` prints: the matrix with each expected connection seen or silent,
 * the verdict counts, violations grouped by kind with examples, and the result in one line.
 */
export function auditText(report: AuditReport, failOnUnverified: boolean): string {
  const m = report.matrix;
  const out: string[] = [];
  out.push(`Matrix ${m.name} (${m.title})${m.includes.length > 0 ? `, including ${m.includes.join(', ')}` : ''}`);
  out.push('');
  out.push('Expected connections:');
  const rows = report.coverage.all().map((c) => {
    const k = c.connection;
    const status = c.flows > 0 ? 'seen' : k.optional ? 'silent (optional)' : 'SILENT';
    const traffic = c.flows > 0 ? `${count(c.flows, 'flow')}, ${bytes(c.bytes)}, ${time(c.firstSeen!)} .. ${time(c.lastSeen!)}` : '';
    return [status, k.id, `${k.from} -> ${k.to}`, `${k.protocol}/${k.ports.map(formatPortRange).join(',')}`, k.security, traffic];
  });
  out.push(...table(rows).map((l) => `  ${l}`));
  out.push('');
  const counts = VERDICT_KINDS.filter((k) => report.verdictCounts[k] > 0).map((k) => `${k} ${report.verdictCounts[k]}`);
  out.push(`Flows by verdict: ${counts.length > 0 ? counts.join(', ') : 'no flows'}`);
  const groups = report.violationGroups();
  if (groups.length > 0) {
    out.push('');
    out.push('Findings:');
    for (const g of groups) {
      // Upper case for what fails the audit; unverified fails only with --fail-on-unverified.
      const label = VIOLATION_KINDS.has(g.kind) || failOnUnverified ? g.kind.toUpperCase() : g.kind;
      out.push(`  ${label}  ${g.from} -> ${g.to} ${g.protocol}/${g.port}: ${count(g.flows, 'flow')}, ${bytes(g.bytes)}`);
      out.push(`      ${g.examples[0]?.verdict.reason ?? ''}`);
      for (const f of g.examples.slice(0, 3)) out.push(`      e.g. ${example(f)}`);
    }
  }
  if (report.notices.length > 0) {
    out.push('');
    out.push(`Notices (allowed, reported by rule severity): ${count(report.notices.length, 'flow')}, e.g. ${example(report.notices[0])} (${report.notices[0].verdict.ruleId})`);
  }
  out.push('');
  const silent = report.coverage.silent();
  if (report.compliant(failOnUnverified)) {
    out.push(`Result: COMPLIANT${report.verdictCounts.unverified > 0 ? ` (${count(report.verdictCounts.unverified, 'flow')} unverified)` : ''}`);
  } else {
    const parts = [count(report.violations, 'violating flow')];
    if (silent.length > 0) parts.push(`${count(silent.length, 'silent required connection')} (${silent.map((c) => c.connection.id).join(', ')})`);
    if (failOnUnverified && report.verdictCounts.unverified > 0) parts.push(`${report.verdictCounts.unverified} unverified`);
    out.push(`Result: NOT COMPLIANT: ${parts.join(', ')}`);
  }
  return out.join('\n') + '\n';
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function example(f: AuditedFlow): string {
  return `${f.client.address}:${f.client.port} -> ${f.server.address}:${f.server.port} at ${time(f.firstSeen)} (flow ${f.id})`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function time(t: number): string {
  return isoTime(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
