import { PEER_ADDRESSES_COUNTED, type AuditReport, type ViolationGroup } from '../audit/audit-report.js';
import type { AuditedFlow } from '../audit/audited-flow.js';
import { formatPortRange } from '../audit/matrix-values.js';
import { VERDICT_KINDS, VIOLATION_KINDS, type VerdictKind } from '../audit/verdict.js';
import { formatBytes } from './byte-size.js';
import { isoTime } from './iso-time.js';
import type { DocumentFormat } from './report-format.js';

/** The summary as a report file (`--output FILE.txt`): what `analyze` prints. */
export const auditTextFormat: DocumentFormat = {
  kind: 'document',
  name: 'text summary',
  extensions: ['.txt'],
  needsFlows: false,
  render: (report, _run, options) => [auditText(report, options.failOnUnverified, options.maxGroups)],
};

/**
 * The human summary `analyze` prints: the matrix with each expected connection seen or silent,
 * the verdict counts, the findings most important first (at most `maxGroups` groups of three
 * lines each, then one line counting the rest), and the result in one line. So the summary of any
 * capture has at most 12 + 3 * maxGroups lines besides one per connection of the matrix.
 */
export function auditText(report: AuditReport, failOnUnverified: boolean, maxGroups: number): string {
  const m = report.matrix;
  const out: string[] = [];
  out.push(`Matrix ${m.name} (${m.title})${m.includes.length > 0 ? `, including ${m.includes.join(', ')}` : ''}`);
  out.push('');
  out.push('Expected connections:');
  const rows = report.coverage.all().map((c) => {
    const k = c.connection;
    const status = c.flows > 0 ? 'seen' : k.optional ? 'silent (optional)' : 'SILENT';
    const traffic = c.flows > 0 ? `${count(c.flows, 'flow')}, ${formatBytes(c.bytes)}, ${time(c.firstSeen!)} .. ${time(c.lastSeen!)}` : '';
    return [status, k.id, `${k.from} -> ${k.to}`, `${k.protocol}/${k.ports.map(formatPortRange).join(',')}`, k.security, traffic];
  });
  out.push(...table(rows).map((l) => `  ${l}`));
  out.push('');
  const counts = VERDICT_KINDS.filter((k) => report.verdictCounts[k] > 0).map((k) => `${k} ${report.verdictCounts[k]}`);
  out.push(`Flows by verdict: ${counts.length > 0 ? counts.join(', ') : 'no flows'}`);
  const groups = report.violationGroups();
  if (groups.length > 0) {
    out.push('');
    out.push(groups.length > maxGroups ? `Findings, most important first (${maxGroups} of ${groups.length} groups):` : 'Findings, most important first:');
    for (const g of groups.slice(0, maxGroups)) {
      // Upper case for what fails the audit; unverified fails only with --fail-on-unverified.
      const label = VIOLATION_KINDS.has(g.kind) || failOnUnverified ? g.kind.toUpperCase() : g.kind;
      out.push(`  ${label}  ${g.from} -> ${g.to} ${g.protocol}/${g.port}: ${count(g.flows, 'flow')}${peers(g)}, ${formatBytes(g.bytes)}`);
      out.push(`      ${g.examples[0].verdict.reason}`);
      out.push(`      e.g. ${example(g.examples[0])}`);
    }
    if (groups.length > maxGroups) out.push(`  ${moreGroups(groups.slice(maxGroups))}`);
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
    if (silent.length > 0) parts.push(`${count(silent.length, 'silent required connection')} (${firstNames(silent.map((c) => c.connection.id))})`);
    if (failOnUnverified && report.verdictCounts.unverified > 0) parts.push(`${report.verdictCounts.unverified} unverified`);
    out.push(`Result: NOT COMPLIANT: ${parts.join(', ')}`);
  }
  return out.join('\n') + '\n';
}

/** The result stays one line on a terminal: the table above lists every silent connection. */
const RESULT_NAMES = 5;

function firstNames(names: readonly string[]): string {
  if (names.length <= RESULT_NAMES) return names.join(', ');
  return `${names.slice(0, RESULT_NAMES).join(', ')} and ${names.length - RESULT_NAMES} more`;
}

/** How many unknown addresses a group of unknown peers stands for. */
function peers(g: ViolationGroup): string {
  const n = g.peerAddresses.size;
  if (n === 0) return '';
  return n >= PEER_ADDRESSES_COUNTED ? `, ${n}+ addresses` : `, ${count(n, 'address')}`;
}

/** The line that stands for the groups past the cap: how many of each kind, with their flows. */
function moreGroups(rest: readonly ViolationGroup[]): string {
  const byKind = new Map<VerdictKind, { groups: number; flows: number }>();
  for (const g of rest) {
    const k = byKind.get(g.kind) ?? { groups: 0, flows: 0 };
    k.groups++;
    k.flows += g.flows;
    byKind.set(g.kind, k);
  }
  const kinds = [...byKind].map(([kind, k]) => `${kind} ${k.groups} (${count(k.flows, 'flow')})`);
  return `... ${rest.length} more groups: ${kinds.join(', ')}; --max-groups shows more, a JSON report (--output FILE.json) has them all`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`;
}

function example(f: AuditedFlow): string {
  return `${f.client.address}:${f.client.port} -> ${f.server.address}:${f.server.port} at ${time(f.firstSeen)} (flow ${f.id})`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

function time(t: number): string {
  return isoTime(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
