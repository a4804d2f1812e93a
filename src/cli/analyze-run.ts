import { FlowRecordBatchWriter } from '../flow/flow-record-batch.js';
import { readFlows, type ReadFlowsResult } from '../flow/read-flows.js';
import { DNS_PORT } from '../identity/dns-answer-tap.js';
import type { AnalyzeOptions } from './analyze-command.js';
import { AuditWorker } from './audit-worker.js';
import { flowTableOptions, PLAIN_PREFIX_BYTES } from './flow-table-options.js';
import { outputKind } from './output-kind.js';
import { writeOut } from './output.js';
import { writeRunSummary } from './run-summary.js';

/**
 * `flowaudit analyze`: the offline audit of captures against a matrix (see analyze-command.ts).
 * This thread reads the captures into flows; a worker (analyze-audit.ts) loads the rules and
 * identities meanwhile, judges the flows and writes the reports. An input error of the rules or
 * identities is reported before one of the captures, and no report is left behind by a failed run.
 */
export async function runAnalyze(files: string[], options: AnalyzeOptions): Promise<void> {
  for (const path of options.output) outputKind(path);
  // Plaintext is told apart by its first bytes: the prefix budget goes to TLS handshakes.
  const table = { ...flowTableOptions(options), plainPayloadLimit: PLAIN_PREFIX_BYTES };
  const audit = new AuditWorker(options);
  // DNS answers travel with the flows, in capture order: they name the peers of the flows after them.
  const batches = new FlowRecordBatchWriter((buffer, length) => audit.send(buffer, length));
  let run: ReadFlowsResult;
  try {
    run = await readFlows(files, batches, { keepGoing: options.keepGoing, table, tap: batches.tap(DNS_PORT) });
    batches.flush();
  } catch (err) {
    return audit.abort(err);
  }
  const outcome = await audit.finish(run);
  writeRunSummary(run, options.quiet === true, outcome.dns);
  await writeOut(outcome.text);
  process.exitCode = outcome.exitCode;
}
