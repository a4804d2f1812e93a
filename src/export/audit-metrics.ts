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
  private components: ReadonlySet<string> = new Set();
  private namedPorts: ReadonlySet<number> = new Set();
  private ruleIds: readonly string[] = [];
  private readonly violationSeries = new Set<string>();
  /** Flows do not end in time order (a long one ends late): the gauge keeps the latest. */
  private readonly lastSeenByRule = new Map<string, number>();

  constructor(matrix: Matrix, registry: Registry, options: AuditMetricsOptions = {}) {
    const registers = [registry];
    this.violationSeriesLimit = options.violationSeriesLimit ?? VIOLATION_SERIES_LIMIT;
    this.seenWindow = options.seenWindowSeconds;
    this.now = options.now ?? (() => Date.now() / 1000);
    this.flows = new Counter({ name: 'flowaudit_flows_total', help: 'Flow verdicts given, by deciding rule (none when no rule fits) and verdict.', labelNames: ['rule', 'verdict'], registers });
    this.violations = new Counter({
      name: 'flowaudit_violations_total',
      help: `Violating flows by kind, client and server component (unknown when none) and server port (other when no rule names it); past ${this.violationSeriesLimit} label sets, new ones count under overflow.`,
      labelNames: ['kind', 'from', 'to', 'port'],
      registers,
    });
    this.bytes = new Counter({ name: 'flowaudit_rule_bytes_total', help: 'IP bytes of the ended flows each rule decided, both directions.', labelNames: ['rule'], registers });
    this.lastSeen = new Gauge({ name: 'flowaudit_rule_last_seen_timestamp_seconds', help: 'When a flow last used each expected connection (packet time).', labelNames: ['rule'], registers });
    const metrics = this;
    this.seen = new Gauge({
      name: 'flowaudit_rule_seen',
      help: this.seenWindow === undefined
        ? 'Whether each expected connection carried a flow in the audited capture (0 is a silent edge).'
        : `Whether each expected connection carried a flow in the last ${this.seenWindow} s (0 is a silent edge).`,
      labelNames: ['rule'],
      registers,
      collect() {
        if (metrics.seenWindow === undefined) return;
        const since = metrics.now() - metrics.seenWindow;
        for (const rule of metrics.ruleIds) this.set({ rule }, (metrics.lastSeenByRule.get(rule) ?? -Infinity) >= since ? 1 : 0);
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
    const ids = matrix.connections.map((c) => c.id);
    for (const rule of this.ruleIds) {
      if (ids.includes(rule)) continue;
      this.seen.remove({ rule });
      this.lastSeen.remove({ rule });
      this.bytes.remove({ rule });
      this.lastSeenByRule.delete(rule);
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
    this.components = new Set(matrix.components.keys());
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
    const rule = v.ruleId ?? NO_RULE;
    if (v.ruleId !== undefined && v.kind !== 'wrong-initiator') {
      if (flow.endReason !== 'update') this.bytes.inc({ rule }, flow.toServer.bytes + flow.toClient.bytes);
      if (this.seenWindow === undefined) this.seen.set({ rule }, 1);
      const latest = Math.max(flow.lastSeen, this.lastSeenByRule.get(rule) ?? 0);
      this.lastSeenByRule.set(rule, latest);
      this.lastSeen.set({ rule }, latest);
    }
    if (flow.verdictReported === true) return;
    this.flows.inc({ rule, verdict: v.kind });
    if (VIOLATION_KINDS.has(v.kind)) this.countViolation(flow);
  }

  private countViolation(flow: AuditedFlow): void {
    const v = flow.verdict;
    const labels = {
      kind: v.kind,
      from: this.components.has(v.clientRole) ? v.clientRole : 'unknown',
      to: this.components.has(v.serverRole) ? v.serverRole : 'unknown',
      port: this.namedPorts.has(flow.server.port) ? String(flow.server.port) : 'other',
    };
    const key = `${labels.kind}|${labels.from}|${labels.to}|${labels.port}`;
    if (!this.violationSeries.has(key) && this.violationSeries.size >= this.violationSeriesLimit) {
      this.violations.inc({ kind: OVERFLOW, from: OVERFLOW, to: OVERFLOW, port: OVERFLOW });
      return;
    }
    this.violationSeries.add(key);
    this.violations.inc(labels);
  }
}
