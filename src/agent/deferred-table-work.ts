import type { FlowTable } from '../flow/flow-table.js';

/**
 * What the flow table leaves to do between packets, in chunks: live flows whose evidence grew
 * are judged in passes over the table, one pass per publish(); flows that timed out are swept as
 * the table's sweeps find them. A pass is not started again until publish() asks: looking for
 * flows with new evidence visits every slot, about 16 ms at a million live flows, and doing so
 * once per chunk slowed a mass timeout to 12,500 flows a second.
 */
export class DeferredTableWork {
  private publishing = false;

  constructor(private readonly table: FlowTable, private readonly chunkFlows: number) {}

  /** Starts a pass over the live flows with new evidence (the agent's tick, every second). */
  publish(): void {
    this.publishing = true;
  }

  /** Judges or sweeps up to `chunkFlows` flows of each kind of work; returns whether more is pending. */
  next(): boolean {
    if (this.publishing) this.publishing = this.table.publishUpdates(this.chunkFlows);
    const sweeping = this.table.continueSweep();
    return this.publishing || sweeping;
  }
}
