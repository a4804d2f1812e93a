/**
 * bcrypt checks on a worker thread. bcryptjs is plain JavaScript: on the event loop a check at
 * cost 10 holds the loop for about 70 ms (in chunks of up to 100 ms), and the loop also reads the
 * captures and answers scrapes. On a thread of its own a check holds nothing but that thread.
 *
 * The worker is started at the first check, does not keep the process alive, and is started
 * anew after a failure. Checks are answered in the order they were asked.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, run as a CommonJS script: bcryptjs is loaded by the path resolved here, so
 * the same code runs from the sources, from dist/ and from the bundle.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (m) => parentPort.postMessage(bcrypt.compareSync(m.password, m.hash)));
`;

export class BcryptWorker {
  private worker?: Worker;
  private readonly pending: { resolve: (ok: boolean) => void; reject: (err: Error) => void }[] = [];

  /** Whether `password` is the one `hash` was made of. */
  compare(password: string, hash: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.started().postMessage({ password, hash });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath: createRequire(import.meta.url).resolve('bcryptjs') } });
    worker.unref();
    worker.on('message', (ok: boolean) => this.pending.shift()?.resolve(ok));
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.splice(0)) waiting.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the bcrypt worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
