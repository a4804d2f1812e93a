import { AnalyzeAudit, type AuditOutcome } from '../analyze/analyze-audit.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { AnalyzeOptions } from './analyze-command.js';
import { ExitCode } from './exit-codes.js';
import { flowTableOptions, PLAIN_PREFIX_BYTES, tunnelPorts } from './flow-table-options.js';
import { writeOut } from './output.js';
import { readCaptures } from './read-captures.js';
import { writeRunSummary } from '../export/run-summary.js';
import { VERSION } from './version.js';

/** `flowaudit analyze`: the offline audit of captures against a matrix (see analyze-command.ts). */
export async function runAnalyze(files: string[], options: AnalyzeOptions): Promise<void> {
  // Every input but the captures is loaded and checked before any packet is read.
  const audit = await AnalyzeAudit.open({
    rules: options.rules,
    identities: options,
    outputs: options.output,
    ...(options.metricsFile === undefined ? {} : { metricsFile: options.metricsFile }),
    ndjsonRecords: options.ndjsonRecords,
    failOnUnverified: options.failOnUnverified === true,
    dnsGraceSeconds: options.dnsGrace,
    maxGroups: options.maxGroups,
    // Plaintext is told apart by its first bytes: the prefix budget goes to TLS handshakes.
    table: { ...flowTableOptions(options), plainPayloadLimit: PLAIN_PREFIX_BYTES },
    tunnelPorts: tunnelPorts(options),
    version: VERSION,
  });
  let run: ReadFlowsResult;
  let outcome: AuditOutcome;
  try {
    run = await readCaptures(files, audit.pipeline.flows, options.keepGoing === true, options.quiet === true);
    outcome = await audit.finish(run);
  } catch (err) {
    audit.abort();
    throw err;
  }
  writeRunSummary(run, options.quiet === true, outcome.dns);
  // Set before the report is written: a reader that closes the pipe early still gets the verdict.
  process.exitCode = outcome.compliant ? ExitCode.Ok : ExitCode.Violations;
  await writeOut(outcome.text);
}
