import type { AuditedFlow, AuditSink } from './audited-flow.js';
import { Coverage } from './coverage.js';
import type { Matrix } from './matrix.js';
import { VERDICT_KINDS, VIOLATION_KINDS, type VerdictKind } from './verdict.js';

const EXAMPLES_PER_GROUP = 5;

/** Violations of one kind between the same components on the same protocol and port. */
export interface ViolationGroup {
  readonly kind: VerdictKind;
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number;
  flows: number;
  bytes: number;
  readonly examples: AuditedFlow[];
}

/**
 * Accumulates a whole offline audit: verdict counts, coverage of every expected connection,
 * violations grouped with a few examples each, and (for the full JSON report) every flow.
 */
export class AuditReport implements AuditSink {
  readonly coverage: Coverage;
  readonly verdictCounts: Record<VerdictKind, number>;
  readonly flows: AuditedFlow[] = [];
  /** Flows a rule of severity notice allowed: reported though allowed (a backup port in use). */
  readonly notices: AuditedFlow[] = [];
  private readonly groups = new Map<string, ViolationGroup>();

  constructor(readonly matrix: Matrix, private readonly keepFlows: boolean) {
    this.coverage = new Coverage(matrix);
    this.verdictCounts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  }

  onAuditedFlow(flow: AuditedFlow): void {
    const kind = flow.verdict.kind;
    this.verdictCounts[kind]++;
    this.coverage.record(flow);
    if (this.keepFlows) this.flows.push(flow);
    if (flow.verdict.notice) this.notices.push(flow);
    if (!VIOLATION_KINDS.has(kind) && kind !== 'unverified') return;
    const from = flow.verdict.clientRole;
    const to = flow.verdict.serverRole;
    const key = `${kind}|${from}|${to}|${flow.protocol}|${flow.server.port}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { kind, from, to, protocol: flow.protocol, port: flow.server.port, flows: 0, bytes: 0, examples: [] };
      this.groups.set(key, group);
    }
    group.flows++;
    group.bytes += flow.bytesToServer + flow.bytesToClient;
    if (group.examples.length < EXAMPLES_PER_GROUP) group.examples.push(flow);
  }

  /** Violation groups (unverified ones included, flagged by kind), largest first. */
  violationGroups(): ViolationGroup[] {
    return [...this.groups.values()].sort((a, b) => b.flows - a.flows || a.kind.localeCompare(b.kind));
  }

  get violations(): number {
    let n = 0;
    for (const kind of VIOLATION_KINDS) n += this.verdictCounts[kind];
    return n;
  }

  /** Compliant: no violating flow and no silent required connection (optionally no unverified one either). */
  compliant(failOnUnverified: boolean): boolean {
    return this.violations === 0 && this.coverage.silent().length === 0 && (!failOnUnverified || this.verdictCounts.unverified === 0);
  }
}
