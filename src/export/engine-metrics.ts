import { Counter, Gauge, type Registry } from 'prom-client';
import type { KernelCounters } from '../engine/loader-flow-mapper.js';
import type { LoaderSupervisorStats } from '../engine/loader-supervisor.js';
import { setTotal } from './pipeline-metrics.js';

/** Which engine feeds the agent's flow table (`watch --engine`). */
export type EngineName = 'ebpf' | 'pcap';

/** The eBPF engine's state, read at each refresh: the supervisor's and what the loader reported of itself. */
export interface EbpfEngineTotals {
  readonly loader: LoaderSupervisorStats;
  /** `tcx` or `tc` from the running loader's Hello; null while none runs. */
  readonly attachMode: string | null;
  /** The kernel side's counters, over every loader run. */
  readonly kernel: KernelCounters;
  /** Entries in the kernel's flow map at the running loader's last sweep. */
  readonly mapEntries: number;
  readonly interfacesAttached: number;
}

/** The kernel's loss counters (docs/ebpf.md, "Losses"), by the `reason` label they are exported with. */
const LOSS_REASONS: readonly [string, keyof KernelCounters][] = [
  ['ring_reserve_failed', 'ringReserveFailed'],
  ['map_full', 'mapFull'],
  ['evicted', 'evicted'],
  ['reuse_not_split', 'reuseNotSplit'],
];

/** What the kernel's parser could not (or only partly) attribute, by `reason`. */
const UNPARSED_REASONS: readonly [string, keyof KernelCounters][] = [
  ['not_ip', 'notIp'],
  ['truncated', 'truncated'],
  ['fragment_without_first', 'fragmentWithoutFirst'],
  ['too_many_ext_headers', 'tooManyExtHeaders'],
];

const STREAM_PROBLEMS = ['malformed', 'truncated', 'oversized'] as const;

/**
 * Which engine runs, and for the eBPF engine its loader's health, the kernel's losses and the
 * interfaces it is attached to, as Prometheus metrics. Every label takes a fixed set of values.
 * As PipelineMetrics, `refresh` copies totals kept elsewhere in before each scrape.
 */
export class EngineMetrics {
  private readonly info: Gauge<'engine' | 'attach_mode'>;
  private readonly loader: LoaderMetrics | undefined;

  constructor(registry: Registry, private readonly engine: EngineName, private readonly totals: () => EbpfEngineTotals | undefined) {
    this.info = new Gauge({
      name: 'flowaudit_engine_info',
      help: 'The engine that feeds the flow table (watch --engine): ebpf or pcap; for ebpf, how the loader attaches (tcx, tc; none while it is down).',
      labelNames: ['engine', 'attach_mode'],
      registers: [registry],
    });
    this.info.set({ engine, attach_mode: 'none' }, 1);
    this.loader = engine === 'ebpf' ? new LoaderMetrics(registry) : undefined;
  }

  /** Copies the engine's totals into the metrics. */
  refresh(): void {
    const t = this.totals();
    if (this.loader === undefined || t === undefined) return;
    this.info.reset();
    this.info.set({ engine: this.engine, attach_mode: t.attachMode ?? 'none' }, 1);
    this.loader.refresh(t);
  }
}

/** The eBPF engine's own metrics. */
class LoaderMetrics {
  private readonly up: Gauge;
  private readonly restarts: Counter;
  private readonly losses: Counter<'reason'>;
  private readonly unparsed: Counter<'reason'>;
  private readonly kernelPackets: Counter;
  private readonly duplicateHook: Counter;
  private readonly reusedTuples: Counter;
  private readonly latePackets: Counter;
  private readonly mapFlows: Gauge;
  private readonly interfaces: Gauge;
  private readonly streamProblems: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.up = new Gauge({ name: 'flowaudit_engine_loader_up', help: 'Whether the eBPF loader runs (0 while it is down and being restarted).', registers });
    this.restarts = new Counter({ name: 'flowaudit_engine_loader_restarts_total', help: 'eBPF loaders started again after one died.', registers });
    this.losses = new Counter({
      name: 'flowaudit_engine_kernel_losses_total',
      help: 'What the eBPF programs could not count, by reason: ring_reserve_failed (payload chunks not sent), map_full (packets of new flows not counted), evicted (flows ended early at 90% of the flow map), reuse_not_split (a new connection on a closed one\'s tuple counted in the old flow: ring buffer full).',
      labelNames: ['reason'],
      registers,
    });
    this.unparsed = new Counter({ name: 'flowaudit_engine_kernel_unparsed_packets_total', help: 'Packets the eBPF programs did not attribute to a flow (or only partly), by reason.', labelNames: ['reason'], registers });
    this.kernelPackets = new Counter({ name: 'flowaudit_engine_kernel_packets_total', help: 'Packets the eBPF programs saw, each pass through one of their hooks counted.', registers });
    this.duplicateHook = new Counter({ name: 'flowaudit_engine_kernel_duplicate_hook_passes_total', help: 'Hook passes not counted because another interface counts the flow (each packet once; not a loss).', registers });
    this.reusedTuples = new Counter({ name: 'flowaudit_engine_kernel_reused_tuples_total', help: "Closed TCP connections whose flow map entry a new connection's SYN on the same tuple took over (the closed one reported ended first).", registers });
    this.latePackets = new Counter({ name: 'flowaudit_engine_kernel_late_packets_total', help: 'TCP packets of connections already reported closed and removed from the flow map (a last ACK, a retransmitted FIN): counted here, not taken for new flows.', registers });
    this.mapFlows = new Gauge({ name: 'flowaudit_engine_map_flows', help: "Entries in the kernel's flow map at the loader's last sweep (of --ebpf-max-flows).", registers });
    this.interfaces = new Gauge({ name: 'flowaudit_engine_interfaces_attached', help: 'Interfaces the eBPF programs are attached to now.', registers });
    this.streamProblems = new Counter({
      name: 'flowaudit_engine_stream_errors_total',
      help: "Problems in the loader's event stream, by reason: malformed (event skipped), truncated (stream ended inside an event), oversized (loader killed and restarted).",
      labelNames: ['reason'],
      registers,
    });
  }

  refresh(t: EbpfEngineTotals): void {
    this.up.set(t.loader.up ? 1 : 0);
    setTotal(this.restarts, t.loader.restarts);
    for (const [reason, key] of LOSS_REASONS) setTotal(this.losses, t.kernel[key], { reason });
    for (const [reason, key] of UNPARSED_REASONS) setTotal(this.unparsed, t.kernel[key], { reason });
    setTotal(this.kernelPackets, t.kernel.packets);
    setTotal(this.duplicateHook, t.kernel.duplicateHook);
    setTotal(this.reusedTuples, t.kernel.reusedTuples);
    setTotal(this.latePackets, t.kernel.lateAfterClose);
    this.mapFlows.set(t.mapEntries);
    this.interfaces.set(t.interfacesAttached);
    for (const reason of STREAM_PROBLEMS) setTotal(this.streamProblems, t.loader.stream[reason], { reason });
  }
}
