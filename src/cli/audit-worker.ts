import { once } from 'node:events';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ReadFlowsResult } from '../flow/read-flows.js';
import type { AnalyzeOptions } from './analyze-command.js';
import type { AuditOutcome } from './analyze-audit.js';
import { UsageError } from './usage-error.js';

/**
 * The main thread's handle on the audit worker (audit-worker-thread.ts) of `flowaudit analyze`.
 * The main thread reads packets and builds flows; the worker judges them and writes the reports,
 * on the other core: the audit then costs the reading thread little more than packing the records.
 *
 * Flows cross in batches (flow-record-batch.ts), shared, in order. The reading thread runs
 * without yielding to its event loop, so the two sides also share a small control array that it
 * checks synchronously: batches in flight (beyond MAX_BATCHES_IN_FLIGHT it waits, so memory stays
 * bounded if the audit falls behind) and whether the worker failed (then its status message is
 * already queued on the status port, and is read at once).
 */

/** 64 batches of 256 KiB: at most 16 MiB of records wait for the audit. */
const MAX_BATCHES_IN_FLIGHT = 64;
/** A worker that takes no batch for this long has stopped: fail rather than wait for ever. */
const STALL_TIMEOUT_MS = 60_000;

/** Indexes into the shared control array. */
export const CONTROL_IN_FLIGHT = 0;
export const CONTROL_FAILED = 1;

export type AuditRequest =
  | { readonly type: 'batch'; readonly buffer: SharedArrayBuffer; readonly length: number }
  | { readonly type: 'end'; readonly run: ReadFlowsResult }
  | { readonly type: 'abort' };

export type AuditStatus =
  | { readonly type: 'done'; readonly outcome: AuditOutcome }
  | { readonly type: 'aborted' }
  /** `input`: a usage or input error (its one-line message); else a defect, with its stack. */
  | { readonly type: 'failed'; readonly input: boolean; readonly message: string; readonly stack?: string };

export interface AuditWorkerData {
  readonly options: AnalyzeOptions;
  readonly control: SharedArrayBuffer;
  readonly status: MessagePort;
}

export class AuditWorker {
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private readonly status: MessagePort;

  /** Starts the worker, which loads the rules and identities while the captures are read. */
  constructor(options: AnalyzeOptions) {
    const { port1, port2 } = new MessageChannel();
    this.status = port1;
    const workerData: AuditWorkerData = { options, control: this.control.buffer as SharedArrayBuffer, status: port2 };
    this.worker = new Worker(new URL('./audit-worker-thread.js', import.meta.url), { workerData, transferList: [port2] });
  }

  /** Hands a batch over (it is the worker's now); throws the worker's failure, if it failed. */
  send(buffer: SharedArrayBuffer, length: number): void {
    this.throwIfFailed();
    Atomics.add(this.control, CONTROL_IN_FLIGHT, 1);
    const request: AuditRequest = { type: 'batch', buffer, length };
    this.worker.postMessage(request);
    this.waitForRoom();
    this.throwIfFailed();
  }

  /** After the last batch: the worker writes the reports and says how the audit came out. */
  async finish(run: ReadFlowsResult): Promise<AuditOutcome> {
    const request: AuditRequest = { type: 'end', run };
    this.worker.postMessage(request);
    const status = await this.nextStatus();
    this.stop();
    if (status.type === 'done') return status.outcome;
    throw status.type === 'failed' ? failure(status) : new Error(`the audit worker answered ${status.type} to end`);
  }

  /**
   * Reading failed with `err`: the worker removes its unfinished outputs. A failure of the rules
   * or identities outranks the capture's, as if they had been loaded first.
   */
  async abort(err: unknown): Promise<never> {
    const request: AuditRequest = { type: 'abort' };
    this.worker.postMessage(request);
    const status = await this.nextStatus();
    this.stop();
    throw status.type === 'failed' ? failure(status) : err;
  }

  /** Ends the worker without waiting for it: the summary is printed meanwhile. */
  private stop(): void {
    void this.worker.terminate();
  }

  private waitForRoom(): void {
    const control = this.control;
    let waited = 0;
    for (let n = Atomics.load(control, CONTROL_IN_FLIGHT); n >= MAX_BATCHES_IN_FLIGHT && Atomics.load(control, CONTROL_FAILED) === 0; ) {
      if (Atomics.wait(control, CONTROL_IN_FLIGHT, n, 1000) === 'timed-out' && (waited += 1000) >= STALL_TIMEOUT_MS) {
        throw new Error(`the audit worker took no batch in ${STALL_TIMEOUT_MS / 1000} s`);
      }
      const now = Atomics.load(control, CONTROL_IN_FLIGHT);
      if (now < n) waited = 0;
      n = now;
    }
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.control, CONTROL_FAILED) === 0) return;
    const status = receiveMessageOnPort(this.status)?.message as AuditStatus | undefined;
    throw status?.type === 'failed' ? failure(status) : new Error('the audit worker failed without a status');
  }

  private async nextStatus(): Promise<AuditStatus> {
    const [status] = (await once(this.status, 'message')) as [AuditStatus];
    return status;
  }
}

/** The worker's failure as the main thread reports it: a one-line input error, or a defect. */
function failure(status: Extract<AuditStatus, { type: 'failed' }>): Error {
  if (status.input) return new UsageError(status.message);
  const error = new Error(status.message);
  if (status.stack !== undefined) error.stack = status.stack;
  return error;
}
