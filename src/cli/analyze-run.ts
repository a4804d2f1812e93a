import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { AnalyzeOptions } from './analyze-command.js';
import { AnalyzeAudit, type AuditOutcome } from './analyze-audit.js';
import { writeOut } from './output.js';
import { readCaptures } from './read-captures.js';
import { writeRunSummary } from './run-summary.js';

/** `flowaudit analyze`: the offline audit of captures against a matrix (see analyze-command.ts). */
export async function runAnalyze(files: string[], options: AnalyzeOptions): Promise<void> {
  // Every input but the captures is loaded and checked before any packet is read.
  const audit = await AnalyzeAudit.open(options);
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
  process.exitCode = outcome.exitCode;
  await writeOut(outcome.text);
}
