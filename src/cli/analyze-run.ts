import { closeSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { AuditReport } from '../audit/audit-report.js';
import type { AuditSink } from '../audit/audited-flow.js';
import { Auditor } from '../audit/auditor.js';
import { loadMatrix } from '../audit/load-matrix.js';
import { auditReportJson } from '../export/audit-json.js';
import { auditJunitXml } from '../export/audit-junit.js';
import { AuditNdjsonSink } from '../export/audit-ndjson.js';
import { auditText } from '../export/audit-text.js';
import { readFlows, type ReadFlowsResult } from '../flow/read-flows.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { AnalyzeOptions } from './analyze-command.js';
import { ExitCode } from './exit-codes.js';
import { flowTableOptions, PLAIN_PREFIX_BYTES } from './flow-table-options.js';
import { loadIdentities } from './load-identities.js';
import { LineWriter, writeOut } from './output.js';
import { writeRunSummary } from './run-summary.js';
import { UsageError } from './usage-error.js';
import { VERSION } from './version.js';

type OutputKind = 'json' | 'ndjson' | 'junit';


/** `flowaudit analyze`: the offline audit of captures against a matrix (see analyze-command.ts). */
export async function runAnalyze(files: string[], options: AnalyzeOptions): Promise<void> {
  // Every input but the captures is loaded and checked before any packet is read.
  const outputs = options.output.map((path) => ({ path, kind: outputKind(path) }));
  const matrix = loadMatrix(options.rules);
  const identities = loadIdentities(options, matrix);
  const wantsFlows = outputs.some((o) => o.kind === 'json');
  const report = new AuditReport(matrix, wantsFlows);
  const sinks: AuditSink[] = [report];
  // Prometheus's client loads only for --metrics-file.
  let registry: Registry | undefined;
  if (options.metricsFile !== undefined) {
    const { Registry } = await import('prom-client');
    const { AuditMetrics } = await import('../export/audit-metrics.js');
    registry = new Registry();
    sinks.push(new AuditMetrics(matrix, registry));
  }
  const failOnUnverified = options.failOnUnverified === true;
  // DNS answers in the traffic name the peers of the flows that follow them.
  const dnsNames = new DnsNameCache({ graceSeconds: options.dnsGrace });
  const dnsTap = new DnsAnswerTap(dnsNames);
  // NDJSON streams as flows end, into a file beside each output that takes its name only once
  // every capture has been read: a capture that fails leaves no report behind, and no old one cut.
  const ndjson = outputs.filter((o) => o.kind === 'ndjson').map((o) => ({ path: o.path, partial: `${o.path}.partial-${process.pid}` }));
  const writers: LineWriter[] = [];
  let run: ReadFlowsResult;
  try {
    for (const { path, partial } of ndjson) writers.push(new LineWriter(openOutput(path, partial)));
    for (const writer of writers) sinks.push(new AuditNdjsonSink(options.ndjsonRecords, (line) => writer.add(line), failOnUnverified));
    // Plaintext is told apart by its first bytes: the prefix budget goes to TLS handshakes.
    const table = { ...flowTableOptions(options), plainPayloadLimit: PLAIN_PREFIX_BYTES };
    run = await readFlows(files, new Auditor(matrix, identities, sinks, dnsNames), { keepGoing: options.keepGoing, table, tap: dnsTap });
    for (const writer of writers) await writer.end();
  } catch (err) {
    for (const { partial } of ndjson) rmSync(partial, { force: true });
    throw err;
  } finally {
    for (const writer of writers) closeSync(writer.fd!);
  }
  for (const { path, kind } of outputs) {
    if (kind === 'json') writeFileSync(path, JSON.stringify(auditReportJson(report, run, dnsTap.stats, failOnUnverified), null, 2) + '\n');
    else if (kind === 'junit') writeFileSync(path, auditJunitXml(report, failOnUnverified));
  }
  for (const { path, partial } of ndjson) renameSync(partial, path);
  if (options.metricsFile !== undefined && registry !== undefined) {
    const { PipelineMetrics } = await import('../export/pipeline-metrics.js');
    const totals = { decode: run.decode, table: run.table, liveFlows: 0, dns: dnsTap.stats, dnsCacheAddresses: dnsNames.size, captures: [] };
    new PipelineMetrics(registry, VERSION, () => totals).refresh();
    writeFileSync(options.metricsFile, await registry.metrics());
  }
  writeRunSummary(run, options.quiet === true, dnsTap.stats);
  await writeOut(auditText(report, failOnUnverified));
  process.exitCode = report.compliant(failOnUnverified) ? ExitCode.Ok : ExitCode.Violations;
}

/** Opens `partial` for the output `path`; an error names the path the user gave. */
function openOutput(path: string, partial: string): number {
  try {
    return openSync(partial, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--output ${path}: cannot write: ${code === 'ENOENT' ? 'no such directory' : (code ?? String(err))}`);
  }
}

function outputKind(path: string): OutputKind {
  if (path.endsWith('.ndjson') || path.endsWith('.jsonl')) return 'ndjson';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.xml')) return 'junit';
  throw new UsageError(`--output ${path}: name the format by extension: .json, .ndjson or .xml (JUnit)`);
}
