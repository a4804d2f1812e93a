/**
 * The audit worker of `flowaudit analyze` (see audit-worker.ts): judges the flow batches the main
 * thread sends, in order, then writes the reports. Requests are handled one after another on a
 * promise chain, so batches that arrive while the rules still load wait their turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlowRecordBatchReader } from '../flow/flow-record-batch.js';
import { AnalyzeAudit } from './analyze-audit.js';
import { CONTROL_FAILED, CONTROL_IN_FLIGHT, type AuditRequest, type AuditStatus, type AuditWorkerData } from './audit-worker.js';
import { inputErrorMessage } from './input-error-message.js';

const { options, control: shared, status } = workerData as AuditWorkerData;
const control = new Int32Array(shared);
let audit: AnalyzeAudit | undefined;
let batches: FlowRecordBatchReader | undefined;
/** Once failed, the failure answers 'end' and 'abort' too (the main thread may have taken the first). */
let failure: AuditStatus | undefined;

function report(message: AuditStatus): void {
  status.postMessage(message);
}

/** Posts the failure, then raises the flag the main thread checks (the message is there first). */
function fail(err: unknown): void {
  audit?.abort();
  const message = inputErrorMessage(err);
  failure = message !== undefined ? { type: 'failed', input: true, message } : { type: 'failed', input: false, message: String((err as Error)?.message ?? err), stack: (err as Error)?.stack };
  report(failure);
  Atomics.store(control, CONTROL_FAILED, 1);
  Atomics.notify(control, CONTROL_IN_FLIGHT);
}

async function handle(request: AuditRequest): Promise<void> {
  if (failure !== undefined) {
    if (request.type !== 'batch') report(failure);
    return;
  }
  try {
    if (request.type === 'batch') {
      batches!.read(request.buffer, request.length);
      Atomics.sub(control, CONTROL_IN_FLIGHT, 1);
      Atomics.notify(control, CONTROL_IN_FLIGHT);
    } else if (request.type === 'end') {
      report({ type: 'done', outcome: await audit!.finish(request.run) });
    } else {
      audit!.abort();
      report({ type: 'aborted' });
    }
  } catch (err) {
    fail(err);
  }
}

let queue: Promise<void> = AnalyzeAudit.open(options).then(
  (opened) => {
    audit = opened;
    batches = new FlowRecordBatchReader(opened.targets);
  },
  fail,
);
parentPort!.on('message', (request: AuditRequest) => {
  queue = queue.then(() => handle(request));
});
