import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditedFlow, AuditSink } from '../audit/audited-flow.js';
import type { Matrix } from '../audit/matrix.js';
import { VIOLATION_KINDS } from '../audit/verdict.js';
import type { ReadFlowsResult } from '../flow/read-flows.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';

/** Distinct violation label sets kept, by default, before new ones go to the overflow series. */
const VIOLATION_SERIES_LIMIT = 1000;
/**
 * A rule's ports become label values only when the rule names a few; a range such as the
 * kubelet's 1-65535 would make one series per port.
 */
const MAX_PORTS_NAMED_PER_RULE = 16;
const OVERFLOW = 'overflow';
const NO_RULE = 'none';

/**
 * The audit as Prometheus metrics, every label bounded: rule ids, verdicts, component names and
 * the ports rules name; never addresses or ephemeral ports. Declared once here; the live agent
 * serves the same registry that `analyze --metrics-file` writes for node_exporter's textfile
 * collector.
 */
export class AuditMetrics implements AuditSink {
  private readonly flows: Counter<'rule' | 'verdict'>;
  private readonly violations: Counter<'kind' | 'from' | 'to' | 'port'>;
  private readonly bytes: Counter<'rule'>;
  private readonly lastSeen: Gauge<'rule'>;
  private readonly seen: Gauge<'rule'>;
  private readonly packets: Counter;
  private readonly decodeErrors: Counter<'reason'>;
  private readonly flowsEvicted: Counter;
  private readonly peakLiveFlows: Gauge;
  private readonly dnsAnswers: Counter;
  private readonly dnsUndecodable: Counter;
  private readonly components: ReadonlySet<string>;
  private readonly namedPorts: ReadonlySet<number>;
  private readonly violationSeries = new Set<string>();
  /** Flows do not end in time order (a long one ends late): the gauge keeps the latest. */
  private readonly lastSeenByRule = new Map<string, number>();

  constructor(matrix: Matrix, registry: Registry, version: string, private readonly violationSeriesLimit = VIOLATION_SERIES_LIMIT) {
    const registers = [registry];
    this.flows = new Counter({ name: 'flowaudit_flows_total', help: 'Flows judged, by deciding rule (none when no rule fits) and verdict.', labelNames: ['rule', 'verdict'], registers });
    this.violations = new Counter({
      name: 'flowaudit_violations_total',
      help: `Violating flows by kind, client and server component (unknown when none) and server port (other when no rule names it); past ${VIOLATION_SERIES_LIMIT} label sets, new ones count under overflow.`,
      labelNames: ['kind', 'from', 'to', 'port'],
      registers,
    });
    this.bytes = new Counter({ name: 'flowaudit_rule_bytes_total', help: 'IP bytes of the flows each rule decided, both directions.', labelNames: ['rule'], registers });
    this.lastSeen = new Gauge({ name: 'flowaudit_rule_last_seen_timestamp_seconds', help: 'When a flow last used each expected connection (capture time).', labelNames: ['rule'], registers });
    this.seen = new Gauge({ name: 'flowaudit_rule_seen', help: 'Whether each expected connection carried a flow in the audited window (0 is a silent edge).', labelNames: ['rule'], registers });
    this.packets = new Counter({ name: 'flowaudit_packets_total', help: 'Packets read from the captures.', registers });
    this.decodeErrors = new Counter({ name: 'flowaudit_decode_errors_total', help: 'Packets that did not decode, by reason.', labelNames: ['reason'], registers });
    this.flowsEvicted = new Counter({ name: 'flowaudit_flow_evictions_total', help: 'Flows evicted at the live-flow bound (reported, not lost).', registers });
    this.peakLiveFlows = new Gauge({ name: 'flowaudit_live_flows_peak', help: 'Most flows live at once.', registers });
    this.dnsAnswers = new Counter({ name: 'flowaudit_dns_answers_total', help: 'DNS answers read from the traffic.', registers });
    this.dnsUndecodable = new Counter({ name: 'flowaudit_dns_undecodable_total', help: 'Payloads from port 53 that did not parse as DNS.', registers });
    new Gauge({ name: 'flowaudit_rules_info', help: 'The connection matrix in force.', labelNames: ['profile', 'hash'], registers }).set({ profile: matrix.name, hash: matrix.hash }, 1);
    new Gauge({ name: 'flowaudit_build_info', help: 'flowaudit build.', labelNames: ['version', 'nodejs'], registers }).set({ version, nodejs: process.version }, 1);

    this.components = new Set(matrix.components.keys());
    const ports = new Set<number>();
    for (const c of matrix.connections) {
      const count = c.ports.reduce((n, r) => n + r.to - r.from + 1, 0);
      if (count <= MAX_PORTS_NAMED_PER_RULE) for (const r of c.ports) for (let p = r.from; p <= r.to; p++) ports.add(p);
      // Every expected connection is a series from the start, so a silent one reads 0, not absent.
      this.seen.set({ rule: c.id }, 0);
      this.bytes.inc({ rule: c.id }, 0);
    }
    this.namedPorts = ports;
  }

  onAuditedFlow(flow: AuditedFlow): void {
    const v = flow.verdict;
    const rule = v.ruleId ?? NO_RULE;
    this.flows.inc({ rule, verdict: v.kind });
    if (v.ruleId !== undefined && v.kind !== 'wrong-initiator') {
      this.bytes.inc({ rule }, flow.bytesToServer + flow.bytesToClient);
      this.seen.set({ rule }, 1);
      const latest = Math.max(flow.lastSeen, this.lastSeenByRule.get(rule) ?? 0);
      this.lastSeenByRule.set(rule, latest);
      this.lastSeen.set({ rule }, latest);
    }
    if (!VIOLATION_KINDS.has(v.kind)) return;
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

  /** The run's accounting: packets, what did not decode, the flow table and the DNS tap. */
  recordRun(run: ReadFlowsResult, dns: DnsTapStats): void {
    for (const c of run.captures) this.packets.inc(c.packets);
    for (const [reason, n] of Object.entries(run.decode)) if (reason !== 'ok') this.decodeErrors.inc({ reason }, n);
    this.flowsEvicted.inc(run.table.evicted);
    this.peakLiveFlows.set(run.table.peakLive);
    this.dnsAnswers.inc(dns.responses);
    this.dnsUndecodable.inc(dns.failures);
  }
}
