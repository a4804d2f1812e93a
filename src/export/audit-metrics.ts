import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditedFlow, AuditSink } from '../audit/audited-flow.js';
import type { Matrix } from '../audit/matrix.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';

/** Distinct violation label sets kept, by default, before new ones go to the overflow series. */
const VIOLATION_SERIES_LIMIT = 1000;
/**
 * A rule's ports become label values only when the rule names a few; a range such as the
 * kubelet's 1-65535 would make one series per port.
 */
const MAX_PORTS_NAMED_PER_RULE = 16;
const OVERFLOW = 'overflow';
const NO_RULE = 'none';

export interface AuditMetricsOptions {
  /** Distinct violation label sets before new ones count under `overflow`. */
  readonly violationSeriesLimit?: number;
  /**
   * The live agent's window for `flowaudit_rule_seen`: a rule reads 1 while a flow used it within
   * this many seconds of `now`. Without it (an offline audit) the window is the whole capture.
   */
  readonly seenWindowSeconds?: number;
  /** Seconds since the epoch; the wall clock unless a test sets it. */
  readonly now?: () => number;
}

/**
 * The audit as Prometheus metrics, every label bounded: rule ids, verdicts, component names and
 * the ports rules name; never addresses or ephemeral ports. The live agent serves the same
 * registry that `analyze --metrics-file` writes for node_exporter's textfile collector.
 *
 * A flow counts once per verdict it is given: the agent judges a live flow as its evidence
 * arrives (AuditedFlow endReason 'update'), so a flow first `unverified` and then, once its TLS
 * handshake is seen, `mtls-missing` counts under both; its final record counts only if its
 * verdict was not already reported. Bytes count when a flow (or its active-timeout part) ends.
 */
export class AuditMetrics implements AuditSink {
  private readonly flows: Counter<'rule' | 'verdict'>;
  private readonly violations: Counter<'kind' | 'from' | 'to' | 'port'>;
  private readonly bytes: Counter<'rule'>;
  private readonly lastSeen: Gauge<'rule'>;
  private readonly seen: Gauge<'rule'>;
  private readonly ruleInfo: Gauge<'rule' | 'from' | 'to' | 'optional'>;
  private readonly rulesInfo: Gauge<'profile' | 'hash'>;
  private readonly reloads: Counter<'result'>;
  private readonly lastReloadSuccessful: Gauge;
  private readonly lastReloadSuccessTime: Gauge;
  private readonly violationSeriesLimit: number;
  private readonly seenWindow: number | undefined;
  private readonly now: () => number;
  /** The matrix's components, numbered for violation series keys. */
  private components = new Map<string, number>();
  private namedPorts: ReadonlySet<number> = new Set();
  private ruleIds: readonly string[] = [];
  /** Label sets of flowaudit_violations_total given a series of their own (the rest overflow). */
  private readonly violationSeries = new Set<string>();
  /** What flows added to each rule's series since the last scrape. */
  private readonly byRule = new Map<string, RuleTotals>();
  /** flowaudit_flows_total's counts not yet added to prom-client, by rule and verdict. */
  private readonly flowCounts = new Map<string, Map<string, PendingCount>>();
  /** flowaudit_violations_total's counts not yet added, by violationKey (the overflow series among them). */
  private readonly violationCounts = new Map<number, PendingCount>();

  constructor(matrix: Matrix, registry: Registry, options: AuditMetricsOptions = {}) {
    const registers = [registry];
    this.violationSeriesLimit = options.violationSeriesLimit ?? VIOLATION_SERIES_LIMIT;
    this.seenWindow = options.seenWindowSeconds;
    this.now = options.now ?? (() => Date.now() / 1000);
    const metrics = this;
    // Flows are counted in plain numbers and added to prom-client's series when it is read (a
    // scrape, the metrics file): a flow costs a few Map lookups, not a label hash per series.
    const collect = (): void => metrics.addPending();
    this.flows = new Counter({ name: 'flowaudit_flows_total', help: 'Flow verdicts given, by deciding rule (none when no rule fits) and verdict.', labelNames: ['rule', 'verdict'], registers, collect });
    this.violations = new Counter({
      name: 'flowaudit_violations_total',
      help: `Violating flows by kind, client and server component (unknown when none) and server port (other when no rule names it); past ${this.violationSeriesLimit} label sets, new ones count under overflow.`,
      labelNames: ['kind', 'from', 'to', 'port'],
      registers,
      collect,
    });
    this.bytes = new Counter({ name: 'flowaudit_rule_bytes_total', help: 'IP bytes of the ended flows each rule decided, both directions.', labelNames: ['rule'], registers, collect });
    this.lastSeen = new Gauge({ name: 'flowaudit_rule_last_seen_timestamp_seconds', help: 'When a flow last used each expected connection (packet time).', labelNames: ['rule'], registers, collect });
    this.seen = new Gauge({
      name: 'flowaudit_rule_seen',
      help: this.seenWindow === undefined
        ? 'Whether each expected connection carried a flow in the audited capture (0 is a silent edge).'
        : `Whether each expected connection carried a flow in the last ${this.seenWindow} s (0 is a silent edge).`,
      labelNames: ['rule'],
      registers,
      collect() {
        if (metrics.seenWindow === undefined) {
          // Offline: seen once a flow used it, in the whole capture.
          for (const rule of metrics.ruleIds) if (metrics.byRule.has(rule)) this.set({ rule }, 1);
          return;
        }
        const since = metrics.now() - metrics.seenWindow;
        for (const rule of metrics.ruleIds) this.set({ rule }, (metrics.byRule.get(rule)?.lastSeen ?? -Infinity) >= since ? 1 : 0);
      },
    });
    // What a rule id alone does not say, for alerts and dashboards to join on `rule`: a silent
    // optional connection is no alarm, and an alert names the components of the edge gone quiet.
    this.ruleInfo = new Gauge({ name: 'flowaudit_rule_info', help: 'Each expected connection of the matrix in force: its client and server components and whether it is optional.', labelNames: ['rule', 'from', 'to', 'optional'], registers });
    this.rulesInfo = new Gauge({ name: 'flowaudit_rules_info', help: 'The connection matrix in force.', labelNames: ['profile', 'hash'], registers });
    this.reloads = new Counter({ name: 'flowaudit_rules_reloads_total', help: 'Reloads of rules and inventories (SIGHUP), by result.', labelNames: ['result'], registers });
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
    this.lastReloadSuccessful = new Gauge({ name: 'flowaudit_rules_last_reload_successful', help: 'Whether the last reload succeeded (1) or was rejected, the previous rules kept (0).', registers });
    this.lastReloadSuccessTime = new Gauge({ name: 'flowaudit_rules_last_reload_success_timestamp_seconds', help: 'When rules were last loaded successfully.', registers });
    this.useMatrix(matrix);
  }

  /** Puts another matrix in force (startup, reload): its rules' series start at 0, removed rules' go. */
  useMatrix(matrix: Matrix): void {
    // What the old matrix's flows counted goes to its series before they change.
    this.addPending();
    this.violationCounts.clear();
    const ids = matrix.connections.map((c) => c.id);
    for (const rule of this.ruleIds) {
      if (ids.includes(rule)) continue;
      this.seen.remove({ rule });
      this.lastSeen.remove({ rule });
      this.bytes.remove({ rule });
      this.byRule.delete(rule);
    }
    const ports = new Set<number>();
    for (const c of matrix.connections) {
      const count = c.ports.reduce((n, r) => n + r.to - r.from + 1, 0);
      if (count <= MAX_PORTS_NAMED_PER_RULE) for (const r of c.ports) for (let p = r.from; p <= r.to; p++) ports.add(p);
      // Every expected connection is a series from the start, so a silent one reads 0, not absent.
      if (!this.ruleIds.includes(c.id)) {
        this.seen.set({ rule: c.id }, 0);
        this.bytes.inc({ rule: c.id }, 0);
      }
    }
    this.ruleIds = ids;
    this.ruleInfo.reset();
    for (const c of matrix.connections) this.ruleInfo.set({ rule: c.id, from: c.from, to: c.to, optional: String(c.optional) }, 1);
    this.namedPorts = ports;
    this.components = new Map([...matrix.components.keys()].map((name, i) => [name, i]));
    this.rulesInfo.reset();
    this.rulesInfo.set({ profile: matrix.name, hash: matrix.hash }, 1);
    this.lastReloadSuccessful.set(1);
    this.lastReloadSuccessTime.set(this.now());
  }

  /** The result of a reload; a success has already gone through useMatrix. */
  recordReload(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'success' : 'failure' });
    if (!ok) this.lastReloadSuccessful.set(0);
  }

  onAuditedFlow(flow: AuditedFlow): void {
    const v = flow.verdict;
    const ruleId = v.ruleId;
    if (ruleId !== undefined && v.kind !== 'wrong-initiator') {
      let totals = this.byRule.get(ruleId);
      if (totals === undefined) {
        totals = { bytes: 0, lastSeen: 0 };
        this.byRule.set(ruleId, totals);
      }
      if (flow.endReason !== 'update') totals.bytes += flow.toServer.bytes + flow.toClient.bytes;
      // Flows do not end in time order (a long one ends late): the gauge keeps the latest.
      if (flow.lastSeen > totals.lastSeen) totals.lastSeen = flow.lastSeen;
    }
    if (flow.verdictReported === true) return;
    this.flowCount(ruleId ?? NO_RULE, v.kind).count++;
    if (VIOLATION_KINDS.has(v.kind)) this.violationCount(flow).count++;
  }

  private flowCount(rule: string, verdict: string): PendingCount {
    let byVerdict = this.flowCounts.get(rule);
    if (byVerdict === undefined) {
      byVerdict = new Map();
      this.flowCounts.set(rule, byVerdict);
    }
    let pending = byVerdict.get(verdict);
    if (pending === undefined) {
      pending = { labels: { rule, verdict }, count: 0 };
      byVerdict.set(verdict, pending);
    }
    return pending;
  }

  /** The violation's series (the overflow series past the limit of label sets). */
  private violationCount(flow: AuditedFlow): PendingCount {
    const v = flow.verdict;
    const from = this.components.get(v.clientRole) ?? -1;
    const to = this.components.get(v.serverRole) ?? -1;
    const port = this.namedPorts.has(flow.server.port) ? flow.server.port : -1;
    const key = violationKey(VIOLATION_KIND_INDEX.get(v.kind)!, from, to, port, this.components.size);
    let pending = this.violationCounts.get(key);
    if (pending !== undefined) return pending;
    const labels = {
      kind: v.kind,
      from: from === -1 ? 'unknown' : v.clientRole,
      to: to === -1 ? 'unknown' : v.serverRole,
      port: port === -1 ? 'other' : String(port),
    };
    const series = `${labels.kind}|${labels.from}|${labels.to}|${labels.port}`;
    if (!this.violationSeries.has(series) && this.violationSeries.size >= this.violationSeriesLimit) {
      pending = this.violationCounts.get(OVERFLOW_KEY) ?? { labels: { kind: OVERFLOW, from: OVERFLOW, to: OVERFLOW, port: OVERFLOW }, count: 0 };
      this.violationCounts.set(OVERFLOW_KEY, pending);
    } else {
      this.violationSeries.add(series);
      pending = { labels, count: 0 };
    }
    this.violationCounts.set(key, pending);
    return pending;
  }

  /** Adds what flows counted since the last call to prom-client's series (each metric's collect). */
  private addPending(): void {
    for (const byVerdict of this.flowCounts.values()) for (const pending of byVerdict.values()) addCount(this.flows, pending);
    for (const pending of this.violationCounts.values()) addCount(this.violations, pending);
    for (const [rule, totals] of this.byRule) {
      if (totals.bytes > 0) this.bytes.inc({ rule }, totals.bytes);
      totals.bytes = 0;
      this.lastSeen.set({ rule }, totals.lastSeen);
    }
  }
}

/** A series' count of flows not yet added to prom-client. */
interface PendingCount {
  readonly labels: Record<string, string>;
  count: number;
}

/** What flows of one rule added since the last scrape (bytes) and the latest one's last packet. */
interface RuleTotals {
  bytes: number;
  lastSeen: number;
}

const VIOLATION_KIND_INDEX: ReadonlyMap<string, number> = new Map([...VIOLATION_KINDS].map((kind, i) => [kind, i]));
/** The overflow series' key: no violationKey is negative. */
const OVERFLOW_KEY = -1;

/** One number for a violation's labels: kind, client and server component (-1 unknown) and port (-1 other). */
function violationKey(kind: number, from: number, to: number, port: number, components: number): number {
  return ((kind * (components + 1) + from + 1) * (components + 1) + to + 1) * 65537 + port + 1;
}

function addCount(counter: Counter<string>, pending: PendingCount): void {
  if (pending.count === 0) return;
  counter.inc(pending.labels, pending.count);
  pending.count = 0;
}
