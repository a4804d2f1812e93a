import type { AuditedFlow } from './audited-flow.js';
import type { Connection, Matrix } from './matrix.js';
import type { VerdictKind } from './verdict.js';

/** How much traffic an expected connection carried. */
export interface ConnectionCoverage {
  readonly connection: Connection;
  flows: number;
  packets: number;
  bytes: number;
  firstSeen: number | null;
  lastSeen: number | null;
  readonly verdicts: Partial<Record<VerdictKind, number>>;
}

/**
 * Per expected connection: seen (flows, bytes, first and last time) or silent. A flow counts for
 * the rule that decided its verdict, insecure ones included: the edge is in use, just badly.
 * A wrong-initiator flow does not: the rule's own direction was not used.
 */
export class Coverage {
  private readonly byId = new Map<string, ConnectionCoverage>();

  constructor(matrix: Matrix) {
    for (const connection of matrix.connections) {
      this.byId.set(connection.id, { connection, flows: 0, packets: 0, bytes: 0, firstSeen: null, lastSeen: null, verdicts: {} });
    }
  }

  record(flow: AuditedFlow): void {
    const { ruleId, kind } = flow.verdict;
    if (ruleId === undefined || kind === 'wrong-initiator') return;
    const c = this.byId.get(ruleId);
    if (c === undefined) return;
    c.flows++;
    c.packets += flow.toServer.packets + flow.toClient.packets;
    c.bytes += flow.toServer.bytes + flow.toClient.bytes;
    if (c.firstSeen === null || flow.firstSeen < c.firstSeen) c.firstSeen = flow.firstSeen;
    if (c.lastSeen === null || flow.lastSeen > c.lastSeen) c.lastSeen = flow.lastSeen;
    c.verdicts[kind] = (c.verdicts[kind] ?? 0) + 1;
  }

  all(): readonly ConnectionCoverage[] {
    return [...this.byId.values()];
  }

  /** Expected, non-optional connections no flow used: MP -> fluentd gone quiet means analytics broke. */
  silent(): readonly ConnectionCoverage[] {
    return this.all().filter((c) => c.flows === 0 && !c.connection.optional);
  }
}
