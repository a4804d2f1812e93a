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
  /** By kind, then client role, then server role, then protocol and port: no key built per flow. */
  private readonly groups = new Map<string, Map<string, Map<string, Map<string, Map<number, ViolationGroup>>>>>();

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
    const byPort = child(child(child(this.groups, kind), from), to);
    const port = flow.server.port;
    let group = byPort.get(flow.protocol)?.get(port);
    if (group === undefined) {
      group = { kind, from, to, protocol: flow.protocol, port, flows: 0, bytes: 0, examples: [] };
      child(byPort, flow.protocol).set(port, group);
    }
    group.flows++;
    group.bytes += flow.bytesToServer + flow.bytesToClient;
    if (group.examples.length < EXAMPLES_PER_GROUP) group.examples.push(flow);
  }

  /** Violation groups (unverified ones included, flagged by kind), largest first. */
  violationGroups(): ViolationGroup[] {
    const all: ViolationGroup[] = [];
    for (const byFrom of this.groups.values()) for (const byTo of byFrom.values()) for (const byProtocol of byTo.values()) for (const byPort of byProtocol.values()) all.push(...byPort.values());
    // Plain code-unit order, not localeCompare: the kinds are ASCII keywords, and the first
    // localeCompare of a process loads ICU collation (13 ms, a tenth of analyze's start-up).
    return all.sort((a, b) => b.flows - a.flows || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
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

/** The map under `key`, made on first use. */
function child<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K): V {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map() as V;
    map.set(key, inner);
  }
  return inner;
}
