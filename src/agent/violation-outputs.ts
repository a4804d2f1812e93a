import { ViolationLog, type ViolationLogOptions } from '../export/violation-log.js';
import type { Logger } from './agent-logger.js';

/**
 * Where the agent's violation records go: the rotating violation log and stdout, each held in
 * memory until flush() (every --flush-interval, and at stop).
 */
export class ViolationOutputs {
  /** One per output, for the pipeline's NDJSON sinks. */
  readonly writers: ((line: string) => void)[] = [];
  readonly log: ViolationLog | undefined;
  private stdoutLines: string[] = [];

  constructor(options: { readonly violationLog?: ViolationLogOptions; readonly toStdout: boolean }, private readonly logger: Logger) {
    this.log = options.violationLog === undefined ? undefined : new ViolationLog(options.violationLog);
    const log = this.log;
    if (log !== undefined) this.writers.push((line) => log.add(line));
    if (options.toStdout) this.writers.push((line) => this.stdoutLines.push(line));
  }

  /** Writes what is held; a failed write of the violation log is logged (its records are counted as lost). */
  flush(): void {
    this.log?.flush();
    if (this.stdoutLines.length > 0) {
      process.stdout.write(this.stdoutLines.join('\n') + '\n');
      this.stdoutLines = [];
    }
    const stats = this.log?.stats;
    if (stats?.lastError !== undefined) {
      this.logger.error({ error: stats.lastError, lost: stats.lost }, 'violation log write failed');
      delete stats.lastError;
    }
  }

  close(): void {
    this.log?.close();
  }
}
