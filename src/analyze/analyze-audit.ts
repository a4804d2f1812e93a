import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { AuditReport } from '../audit/audit-report.js';
import type { AuditSink } from '../audit/audited-flow.js';
import { loadMatrix } from '../audit/load-matrix.js';
import { auditText } from '../export/audit-text.js';
import type { DocumentFormat, ReportOptions } from '../export/report-format.js';
import { reportExtensions, reportFormatFor } from '../export/report-formats.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { NdjsonRecords } from '../export/report-format.js';
import { LineWriter } from '../export/line-writer.js';
import type { FlowTableOptions } from '../flow/flow-table.js';
import { loadIdentities, type IdentityFiles } from '../pipeline/load-identities.js';
import { buildAuditPipeline, type AuditPipeline } from '../pipeline/pipeline.js';
import { cannotWrite, checkReportPath, writeReport } from './report-file.js';
import { UsageError } from '../usage-error.js';

/** An offline audit: its inputs but the captures, and its outputs. */
export interface AnalyzeConfig {
  readonly rules: string;
  readonly identities: IdentityFiles;
  /** Reports to write, each in the format its file ending names (src/export/report-formats.ts). */
  readonly outputs: readonly string[];
  /** Prometheus text metrics to write. */
  readonly metricsFile?: string;
  readonly ndjsonRecords: NdjsonRecords;
  /** Count flows whose required security could not be proven as violations. */
  readonly failOnUnverified: boolean;
  readonly dnsGraceSeconds: number;
  /** Finding groups the text summary shows. */
  readonly maxGroups: number;
  readonly table: Partial<FlowTableOptions>;
  readonly tunnelPorts: TunnelPorts;
  /** flowaudit's version, for flowaudit_build_info. */
  readonly version: string;
}

/** What the audit hands back once every flow is judged: the summary to print and whether the traffic complies. */
export interface AuditOutcome {
  readonly text: string;
  readonly compliant: boolean;
  readonly dns: DnsTapStats;
}

/**
 * The audit half of `flowaudit analyze`: the matrix, identities and report sinks, fed the flows
 * (and the DNS answers seen on the way) in capture order, then the reports written. The packet
 * half is src/cli/analyze-run.ts (readTrace into `pipeline`).
 */
export class AnalyzeAudit {
  /** What the packet half reads the captures into. */
  readonly pipeline: AuditPipeline;
  /** The NDJSON outputs are still open (neither finished nor aborted). */
  private outputsOpen = true;

  private constructor(
    private readonly config: AnalyzeConfig,
    private readonly reportOptions: ReportOptions,
    private readonly documents: readonly DocumentOutput[],
    private readonly report: AuditReport,
    identities: IdentityProvider,
    dnsNames: DnsNameCache,
    private readonly ndjson: readonly NdjsonOutput[],
    private readonly registry: Registry | undefined,
    sinks: readonly AuditSink[],
  ) {
    const audit = { matrix: report.matrix, identities, sinks, dnsNames, live: false };
    this.pipeline = buildAuditPipeline(audit, { table: config.table, tunnelPorts: config.tunnelPorts });
  }

  /**
   * Loads and checks every input but the captures (throws SourcePositionError or UsageError), and
   * opens the NDJSON outputs: into files beside them that take their names only at finish(), so a
   * run that fails leaves no report behind, and no old one cut.
   */
  static async open(config: AnalyzeConfig): Promise<AnalyzeAudit> {
    const outputs = config.outputs.map((path) => ({ path, format: outputFormat(path) }));
    for (const { path } of outputs) checkReportPath('--output', path);
    if (config.metricsFile !== undefined) checkReportPath('--metrics-file', config.metricsFile);
    const matrix = loadMatrix(config.rules);
    const identities = loadIdentities(config.identities, matrix);
    // DNS answers in the traffic name the peers of the flows that follow them.
    const dnsNames = new DnsNameCache({ graceSeconds: config.dnsGraceSeconds });
    const documents: DocumentOutput[] = [];
    for (const { path, format } of outputs) if (format.kind === 'document') documents.push({ path, format });
    const report = new AuditReport(matrix, documents.some((o) => o.format.needsFlows), dnsNames);
    const sinks: AuditSink[] = [report];
    // Prometheus's client loads only for --metrics-file.
    let registry: Registry | undefined;
    if (config.metricsFile !== undefined) {
      // A CommonJS package's module.exports is its default export, natively and in the bundle
      // (esbuild's split chunks give a dynamically imported CommonJS module no named exports).
      const { Registry } = (await import('prom-client')).default;
      const { AuditMetrics } = await import('../export/audit-metrics.js');
      registry = new Registry();
      sinks.push(new AuditMetrics(matrix, registry));
    }
    const reportOptions: ReportOptions = { failOnUnverified: config.failOnUnverified, maxGroups: config.maxGroups, ndjsonRecords: config.ndjsonRecords };
    const ndjson: NdjsonOutput[] = [];
    try {
      for (const { path, format } of outputs) {
        if (format.kind !== 'stream') continue;
        const partial = `${path}.partial-${process.pid}`;
        const writer = new LineWriter(openOutput(path, partial));
        ndjson.push({ path, partial, writer });
        sinks.push(format.sink((line) => writer.add(line), reportOptions));
      }
    } catch (err) {
      discard(ndjson);
      throw err;
    }
    return new AnalyzeAudit(config, reportOptions, documents, report, identities, dnsNames, ndjson, registry, sinks);
  }

  /** Writes the reports for the flows fed so far; `run` is the packet half's accounting. */
  async finish(run: ReadFlowsResult): Promise<AuditOutcome> {
    const { config, reportOptions, report } = this;
    const { dnsTap, dnsNames } = this.pipeline;
    for (const { writer } of this.ndjson) await writer.end();
    this.outputsOpen = false;
    for (const { writer } of this.ndjson) closeSync(writer.fd!);
    for (const { path, format } of this.documents) writeReport('--output', path, format.render(report, { read: run, dns: dnsTap.stats }, reportOptions));
    for (const { path, partial } of this.ndjson) {
      try {
        renameSync(partial, path);
      } catch (err) {
        throw cannotWrite('--output', path, err);
      }
    }
    if (config.metricsFile !== undefined && this.registry !== undefined) {
      const { PipelineMetrics } = await import('../export/pipeline-metrics.js');
      const totals = { decode: run.decode, tunnels: run.tunnels, table: run.table, liveFlows: 0, dns: dnsTap.stats, dnsCacheAddresses: dnsNames.size, captures: [] };
      new PipelineMetrics(this.registry, config.version, () => totals).refresh();
      writeReport('--metrics-file', config.metricsFile, await this.registry.metrics());
    }
    return {
      text: auditText(report, reportOptions.failOnUnverified, reportOptions.maxGroups),
      compliant: report.compliant(reportOptions.failOnUnverified),
      dns: dnsTap.stats,
    };
  }

  /** The run failed: removes the unfinished outputs. */
  abort(): void {
    if (this.outputsOpen) {
      this.outputsOpen = false;
      discard(this.ndjson);
    }
    // After finish() closed them, those not yet renamed.
    for (const { partial } of this.ndjson) rmSync(partial, { force: true });
  }
}

interface DocumentOutput {
  readonly path: string;
  readonly format: DocumentFormat;
}

function outputFormat(path: string) {
  const format = reportFormatFor(path);
  if (format === undefined) throw new UsageError(`--output ${path}: name the format by extension: ${reportExtensions()}`);
  return format;
}

/** Opens `partial` for the output `path`; an error names the path the user gave. */
function openOutput(path: string, partial: string): number {
  try {
    return openSync(partial, 'w');
  } catch (err) {
    throw cannotWrite('--output', path, err);
  }
}

interface NdjsonOutput {
  readonly path: string;
  /** Where the records go until finish() renames it to `path`. */
  readonly partial: string;
  readonly writer: LineWriter;
}

/** Closes and removes the outputs opened so far. */
function discard(ndjson: readonly NdjsonOutput[]): void {
  for (const { partial, writer } of ndjson) {
    closeSync(writer.fd!);
    rmSync(partial, { force: true });
  }
}
