import type { AuditReport } from '../audit/audit-report.js';
import type { AuditSink } from '../audit/audited-flow.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';

/** What the run read, for the reports that carry its accounting. */
export interface ReportRun {
  readonly read: ReadFlowsResult;
  readonly dns: DnsTapStats;
}

export type NdjsonRecords = 'flows' | 'violations';

export interface ReportOptions {
  /** Unverified flows count as violations (`--fail-on-unverified`). */
  readonly failOnUnverified: boolean;
  /** Finding groups a summary shows (`--max-groups`); the others are counted in one line. */
  readonly maxGroups: number;
  /** Which flows a record stream writes (`--ndjson-records`). */
  readonly ndjsonRecords: NdjsonRecords;
}

interface FormatName {
  /** What `--output` help and errors call it. */
  readonly name: string;
  /** The file name endings that choose it, with their dot. */
  readonly extensions: readonly string[];
}

/** A report written whole, once every flow is judged. */
export interface DocumentFormat extends FormatName {
  readonly kind: 'document';
  /** Whether the report must keep every audited flow (AuditReport's `keepFlows`), not only counts and groups. */
  readonly needsFlows: boolean;
  /** The report's text in parts, written one after another: a JSON report's flows a few hundred at a time, never its whole text at once. */
  render(report: AuditReport, run: ReportRun, options: ReportOptions): Iterable<string>;
}

/** Records written as flows are judged, one line each, so no flow is kept for them. */
export interface StreamFormat extends FormatName {
  readonly kind: 'stream';
  /** A sink that hands each record's line to `write`. */
  sink(write: (line: string) => void, options: ReportOptions): AuditSink;
}

/** An `analyze` report format: one file in src/export each, listed in report-formats.ts. */
export type ReportFormat = DocumentFormat | StreamFormat;
