import { Counter, Gauge, type Registry } from 'prom-client';
import type { CaptureState } from '../capture/reopening-capture.js';
import type { TunnelCounts } from '../decode/packet-decoder.js';
import type { FlowTableStats } from '../flow/flow-table.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';
import type { ViolationLogStats } from './violation-log.js';

/** Running totals of the pipeline before the audit, read at each refresh. */
export interface PipelineTotals {
  /** Packets per decode outcome, "ok" included. */
  readonly decode: Readonly<Record<string, number>>;
  /** Tunnel packets opened and inner packets that did not decode. */
  readonly tunnels: TunnelCounts;
  readonly table: FlowTableStats;
  readonly liveFlows: number;
  readonly dns: DnsTapStats;
  readonly dnsCacheAddresses: number;
  /** Live capture interfaces: state and libpcap counters (pcap_stats); none for files. */
  readonly captures: readonly CaptureState[];
  /** The agent's violation log, when it writes one. */
  readonly violationLog?: ViolationLogStats;
}

/**
 * What the pipeline read, dropped and holds, as Prometheus metrics: packets, state, kernel and
 * interface drops per capture interface, decode errors by reason, the flow table and the DNS
 * evidence. The pipeline keeps its own totals; `refresh` copies them in (before each scrape, or
 * once at the end of an offline run), so the packet path never touches prom-client.
 */
export class PipelineMetrics {
  private readonly packets: Counter;
  private readonly decodeErrors: Counter<'reason'>;
  private readonly tunnelPackets: Counter<'tunnel'>;
  private readonly tunnelDecodeErrors: Counter<'reason'>;
  private readonly received: Counter<'interface'>;
  private readonly kernelDrops: Counter<'interface'>;
  private readonly interfaceDrops: Counter<'interface'>;
  private readonly captureUp: Gauge<'interface'>;
  private readonly captureReopens: Counter<'interface'>;
  private readonly liveFlows: Gauge;
  private readonly peakLiveFlows: Gauge;
  private readonly flowsStarted: Counter;
  private readonly evictions: Counter;
  private readonly dnsAnswers: Counter;
  private readonly dnsUndecodable: Counter;
  private readonly dnsCache: Gauge;
  private readonly logRecords: Counter;
  private readonly logRotations: Counter;
  private readonly logLost: Counter;

  constructor(registry: Registry, version: string, private readonly totals: () => PipelineTotals) {
    const registers = [registry];
    this.packets = new Counter({ name: 'flowaudit_packets_total', help: 'Packets the pipeline received from its captures.', registers });
    this.decodeErrors = new Counter({ name: 'flowaudit_decode_errors_total', help: 'Packets that did not decode, by reason (counted, not lost silently).', labelNames: ['reason'], registers });
    this.tunnelPackets = new Counter({ name: 'flowaudit_tunnel_packets_total', help: 'Overlay tunnel packets opened, by tunnel (their inner packets are flows of their own).', labelNames: ['tunnel'], registers });
    this.tunnelDecodeErrors = new Counter({ name: 'flowaudit_tunnel_decode_errors_total', help: 'Tunnel packets whose inner packet did not decode, by reason (the outer packet still counts in its flow).', labelNames: ['reason'], registers });
    this.received = new Counter({ name: 'flowaudit_capture_received_packets_total', help: 'Packets libpcap received on each capture interface (pcap_stats ps_recv).', labelNames: ['interface'], registers });
    this.kernelDrops = new Counter({ name: 'flowaudit_capture_kernel_drops_total', help: 'Packets dropped for lack of buffer space before flowaudit read them (pcap_stats ps_drop).', labelNames: ['interface'], registers });
    this.interfaceDrops = new Counter({ name: 'flowaudit_capture_interface_drops_total', help: 'Packets the interface or its driver dropped (pcap_stats ps_ifdrop).', labelNames: ['interface'], registers });
    this.captureUp = new Gauge({ name: 'flowaudit_capture_up', help: 'Whether each capture interface is capturing (0 while it is gone and being reopened).', labelNames: ['interface'], registers });
    this.captureReopens = new Counter({ name: 'flowaudit_capture_reopens_total', help: 'Captures reopened after their interface went away.', labelNames: ['interface'], registers });
    this.liveFlows = new Gauge({ name: 'flowaudit_live_flows', help: 'Flows in the flow table now.', registers });
    this.peakLiveFlows = new Gauge({ name: 'flowaudit_live_flows_peak', help: 'Most flows live at once.', registers });
    this.flowsStarted = new Counter({ name: 'flowaudit_flows_started_total', help: 'Flows the flow table began.', registers });
    this.evictions = new Counter({ name: 'flowaudit_flow_evictions_total', help: 'Flows evicted at the live-flow bound (reported early, not lost).', registers });
    this.dnsAnswers = new Counter({ name: 'flowaudit_dns_answers_total', help: 'DNS answers read from the traffic.', registers });
    this.dnsUndecodable = new Counter({ name: 'flowaudit_dns_undecodable_total', help: 'Payloads from port 53 that did not parse as DNS.', registers });
    this.dnsCache = new Gauge({ name: 'flowaudit_dns_cache_addresses', help: 'Addresses the DNS name cache holds names for.', registers });
    this.logRecords = new Counter({ name: 'flowaudit_violation_log_records_total', help: 'Violation records written to the violation log.', registers });
    this.logRotations = new Counter({ name: 'flowaudit_violation_log_rotations_total', help: 'Size-based rotations of the violation log.', registers });
    this.logLost = new Counter({ name: 'flowaudit_violation_log_lost_records_total', help: 'Violation records that could not be written (disk full, I/O error).', registers });
    new Gauge({ name: 'flowaudit_build_info', help: 'flowaudit build.', labelNames: ['version', 'nodejs'], registers }).set({ version, nodejs: process.version }, 1);
  }

  /** Copies the pipeline's totals into the metrics. */
  refresh(): void {
    const t = this.totals();
    let packets = 0;
    this.decodeErrors.reset();
    for (const [reason, n] of Object.entries(t.decode)) {
      packets += n;
      if (reason !== 'ok') this.decodeErrors.inc({ reason }, n);
    }
    setTotal(this.packets, packets);
    setTotals(this.tunnelPackets, 'tunnel', t.tunnels.decapsulated);
    setTotals(this.tunnelDecodeErrors, 'reason', t.tunnels.notDecoded);
    for (const c of t.captures) {
      const labels = { interface: c.interface };
      setTotal(this.received, c.received, labels);
      setTotal(this.kernelDrops, c.droppedByKernel, labels);
      setTotal(this.interfaceDrops, c.droppedByInterface, labels);
      this.captureUp.set(labels, c.up ? 1 : 0);
      setTotal(this.captureReopens, c.reopens, labels);
    }
    this.liveFlows.set(t.liveFlows);
    this.peakLiveFlows.set(t.table.peakLive);
    setTotal(this.flowsStarted, t.table.flowsStarted);
    setTotal(this.evictions, t.table.evicted);
    setTotal(this.dnsAnswers, t.dns.responses);
    setTotal(this.dnsUndecodable, t.dns.failures);
    this.dnsCache.set(t.dnsCacheAddresses);
    if (t.violationLog !== undefined) {
      setTotal(this.logRecords, t.violationLog.records);
      setTotal(this.logRotations, t.violationLog.rotations);
      setTotal(this.logLost, t.violationLog.lost);
    }
  }
}

/** A labelled counter set to totals kept elsewhere, one series per key. */
function setTotals<L extends string>(counter: Counter<L>, label: L, totals: Readonly<Record<string, number>>): void {
  counter.reset();
  for (const [value, n] of Object.entries(totals)) counter.inc({ [label]: value } as Partial<Record<L, string>>, n);
}

/** A counter set to a total kept elsewhere (prom-client counters only go up by inc). */
export function setTotal<L extends string>(counter: Counter<L>, total: number, labels?: Partial<Record<L, string>>): void {
  if (labels === undefined) {
    counter.reset();
    counter.inc(total);
  } else {
    counter.remove(labels);
    counter.inc(labels, total);
  }
}
