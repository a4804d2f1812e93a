import { Counter, Gauge, type Registry } from 'prom-client';
import type { IdentitySourceStatus } from '../identity/identity-source.js';
import { setTotal } from './pipeline-metrics.js';

/** What the identity metrics are refreshed from, read at each scrape. */
export interface IdentityTotals {
  readonly sources: readonly IdentitySourceStatus[];
  /** Times two live Kubernetes objects claimed one address (IdentityIndex.kubernetes.conflicts). */
  readonly addressConflicts: number;
}

/**
 * The identity sources' health and holdings (docs/agent.md, "Live Kubernetes identities"). Labels
 * are the source (`files`, `kubernetes`), the resource (`pods`, `services`, `nodes`) and the object
 * kind: never an object's name or address.
 */
export class IdentityMetrics {
  private readonly up: Gauge<'source'>;
  private readonly lastSync: Gauge<'source'>;
  private readonly restarts: Counter<'source' | 'resource'>;
  private readonly objects: Gauge<'source' | 'kind'>;
  private readonly rejected: Counter<'source' | 'resource'>;
  private readonly conflicts: Counter;

  constructor(registry: Registry, private readonly totals: () => IdentityTotals) {
    const registers = [registry];
    this.up = new Gauge({ name: 'flowaudit_identity_source_up', help: 'Whether the identity source follows its changes: 0 before its first sync and while it cannot (the last state is kept meanwhile).', labelNames: ['source'], registers });
    this.lastSync = new Gauge({ name: 'flowaudit_identity_source_last_sync_timestamp_seconds', help: 'When the identity source was last known current: a list, a watch answered, an event or bookmark (kubernetes); a load or reload (files).', labelNames: ['source'], registers });
    this.restarts = new Counter({ name: 'flowaudit_identity_source_restarts_total', help: 'Lists and watches tried again after one failed or expired (410 Gone), by resource.', labelNames: ['source', 'resource'], registers });
    this.objects = new Gauge({ name: 'flowaudit_identity_objects', help: 'Identity objects the source holds now, by kind.', labelNames: ['source', 'kind'], registers });
    this.rejected = new Counter({ name: 'flowaudit_identity_source_rejected_objects_total', help: 'Objects and watch events that could not be read (logged, not applied), by resource.', labelNames: ['source', 'resource'], registers });
    this.conflicts = new Counter({ name: 'flowaudit_identity_address_conflicts_total', help: 'Times two live Kubernetes objects claimed one address (the later claim names it; logged).', registers });
  }

  refresh(): void {
    const { sources, addressConflicts } = this.totals();
    // A kind a source no longer holds goes away rather than stay at its last count.
    this.objects.reset();
    for (const status of sources) {
      const source = status.source;
      this.up.set({ source }, status.up ? 1 : 0);
      if (status.lastSync === null) this.lastSync.remove({ source });
      else this.lastSync.set({ source }, status.lastSync);
      for (const [resource, count] of status.restarts) setTotal(this.restarts, count, { source, resource });
      for (const [resource, count] of status.rejected) setTotal(this.rejected, count, { source, resource });
      for (const [kind, count] of status.objects) this.objects.set({ source, kind }, count);
    }
    setTotal(this.conflicts, addressConflicts);
  }
}
