/**
 * The long-lived agent (`flowaudit watch`): its live sources feed the same pipeline `analyze` runs
 * on files (src/pipeline); flows are judged as their evidence arrives and when they end, verdicts
 * go to Prometheus metrics and the violation log, and reload() swaps in new rules and inventories
 * without dropping a flow. Its sources come from a factory, so tests drive it with a fake one.
 */
import { Registry } from 'prom-client';
import type { Auditor } from '../audit/auditor.js';
import { loadMatrix } from '../audit/load-matrix.js';
import { OwnEndpoint } from '../audit/own-endpoint.js';
import type { Matrix } from '../audit/matrix.js';
import type { CaptureState } from '../capture/reopening-capture.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { LoaderSupervisorStats } from '../engine/loader-supervisor.js';
import type { AuditMetrics } from '../export/audit-metrics.js';
import { EngineMetrics, type EbpfEngineTotals } from '../export/engine-metrics.js';
import { IdentityMetrics } from '../export/identity-metrics.js';
import { startMetricsServer, type MetricsServer } from '../export/metrics-server.js';
import { PipelineMetrics } from '../export/pipeline-metrics.js';
import type { ViolationLogOptions } from '../export/violation-log.js';
import type { WebConfig } from '../export/web-config.js';
import { DEFAULT_FLOW_TABLE_OPTIONS, type FlowTable, type FlowTableOptions } from '../flow/flow-table.js';
import { describeConflict } from '../identity/address-history.js';
import type { FileIdentitySource } from '../identity/file-identity-source.js';
import { IdentityIndex } from '../identity/identity-index.js';
import type { IdentitySource } from '../identity/identity-source.js';
import { identityFiles, inventoryCheck, type IdentityFiles } from '../pipeline/load-identities.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import type { LiveSource, LiveSourceStats } from '../pipeline/source.js';
import type { Logger } from './agent-logger.js';
import { buildAgentPipeline } from './agent-pipeline.js';
import { DeferredTableWork } from './deferred-table-work.js';
import { ViolationOutputs } from './violation-outputs.js';
import { WARM_UP_TABLE, warmUp } from './warm-up.js';

/**
 * Makes the agent's sources (not yet started): libpcap captures, or the eBPF engine's loader
 * supervisor; `log` is for their own events (a capture reopened, a loader restarted).
 */
export type SourceFactory = (log: Logger) => readonly LiveSource[];

/** Makes the identity sources that follow a live system (the Kubernetes API), beside the files of `identities`. */
export type IdentitySourceFactory = (log: Logger) => readonly IdentitySource[];

export interface AgentConfig {
  readonly sources: SourceFactory;
  readonly rules: string;
  readonly identities: IdentityFiles;
  /** Live identity sources (`watch --kubernetes`), started before the captures: one refusing to start (RBAC) stops the start. */
  readonly liveIdentities?: IdentitySourceFactory;
  readonly table: Partial<FlowTableOptions>;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  readonly listen: string;
  readonly webConfig?: WebConfig;
  readonly violationLog?: ViolationLogOptions;
  readonly violationsToStdout: boolean;
  /** Longest time a violation record waits in memory before it is written. */
  readonly flushIntervalSeconds: number;
  readonly seenWindowSeconds: number;
  readonly dnsGraceSeconds: number;
  /** flowaudit's version, for flowaudit_build_info and the start log line. */
  readonly version: string;
  /** How often live flows with new evidence are judged and the flow table's clock moves on (default 1000 ms). */
  readonly tickMs?: number;
  /** Warm the code up before the sources start (default true; tests of the agent's behaviour skip its second). */
  readonly warmUp?: boolean;
}

const TICK_MS = 1000;
/**
 * Longest one turn of the event loop spends judging live flows and sweeping timed-out ones before
 * it lets packets and scrapes in. A scrape waits for a few turns (accept, read, answer), each
 * also reading up to 1024 packets: turns bounded by time, not by a count of flows, keep /metrics
 * answering within tens of milliseconds when a flood of flows arrives or times out, whether a
 * flow takes a few microseconds to judge or, cold or with a new address to identify, ten times that.
 */
const STEP_BUDGET_MS = 8;
/** Flows judged or swept between two looks at the clock. */
export const CHUNK_FLOWS = 200;
/** Slots a pass for new evidence or timed-out flows reads between two looks at the clock (well under 1 ms). */
const CHUNK_SLOTS = 16384;
/** At the live-flow bound, the share of the table evicted (and judged) at once, within one packet. */
const EVICT_FRACTION = 1 / 256;

export class Agent {
  private readonly sources: LiveSource[] = [];
  private readonly liveIdentities: IdentitySource[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private server?: MetricsServer;
  private stopping = false;
  private stepping = false;

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private matrix: Matrix,
    private readonly auditor: Auditor,
    private readonly auditMetrics: AuditMetrics,
    private readonly table: FlowTable,
    private readonly work: DeferredTableWork,
    private readonly violations: ViolationOutputs,
    private readonly identitySource: FileIdentitySource,
    private readonly identities: IdentityIndex,
  ) {}

  /** Loads everything, starts the sources and the endpoint; throws on bad input before capturing. */
  static async start(config: AgentConfig, log: Logger): Promise<Agent> {
    const matrix = loadMatrix(config.rules);
    const identitySource = identityFiles(config.identities, matrix);
    // Two live objects on one address: the later claim names it from then on (docs/architecture.md).
    const identities = new IdentityIndex({}, { onConflict: (c) => log.warn({ conflict: describeConflict(c) }, 'two live objects claim one address') });
    identitySource.start(identities);
    const stages = { seenWindowSeconds: config.seenWindowSeconds, dnsGraceSeconds: config.dnsGraceSeconds, tunnelPorts: config.tunnelPorts };
    const table = agentTableOptions(config.table);
    // Violation records are left out of the warm-up: its flows all violate, and serialising them
    // would double its time for a path only violations take.
    const warmUpMs = config.warmUp === false ? 0 : warmUp(buildAgentPipeline(matrix, identities, new Registry(), { ...stages, table: { ...table, ...WARM_UP_TABLE }, violationWriters: [] }));
    // Opened before the live identity sources start: a violation log that cannot be opened must
    // not leave their watches and retry timers running behind the error.
    const violations = new ViolationOutputs({ violationLog: config.violationLog, toStdout: config.violationsToStdout }, log);
    const liveIdentities: IdentitySource[] = [];
    try {
      for (const source of config.liveIdentities?.(log) ?? []) {
        liveIdentities.push(source);
        await source.start(identities);
      }
    } catch (err) {
      for (const source of liveIdentities) source.close();
      violations.close();
      throw err;
    }
    const registry = new Registry();
    const pipeline = buildAgentPipeline(matrix, identities, registry, {
      ...stages,
      table: { ...table, initialCapacity: config.table.maxFlows ?? DEFAULT_FLOW_TABLE_OPTIONS.maxFlows },
      violationWriters: violations.writers,
      onLoaderError: (message) => log.warn({ loader: message }, 'eBPF loader error'),
    });
    const { flows, auditor, auditMetrics, dnsTap, dnsNames } = pipeline;
    const agent = new Agent(config, log, matrix, auditor, auditMetrics, flows.table, new DeferredTableWork(flows.table, CHUNK_FLOWS), violations, identitySource, identities);
    agent.liveIdentities.push(...liveIdentities);

    const sources = config.sources(log);
    const metrics = new PipelineMetrics(registry, config.version, () => ({
      ...flows.accounting(),
      liveFlows: flows.table.liveFlows,
      dns: dnsTap.stats,
      dnsCacheAddresses: dnsNames.size,
      captures: agent.sources.map((s) => s.stats()).filter(isCaptureState),
      ...(violations.log === undefined ? {} : { violationLog: violations.log.stats }),
    }));
    const engine = sources.some((s) => !isCaptureState(s.stats())) ? 'ebpf' : 'pcap';
    const engineMetrics = new EngineMetrics(registry, engine, () => ebpfTotals(agent.sources, flows));
    const identityMetrics = new IdentityMetrics(registry, () => ({
      sources: [identitySource, ...agent.liveIdentities].map((s) => s.status()),
      addressConflicts: identities.kubernetes.conflicts,
    }));
    try {
      for (const source of sources) {
        agent.sources.push(source);
        await source.start(flows.input);
        log.info({ interface: source.name, ...source.describe() }, 'capturing');
      }
      agent.server = await startMetricsServer({
        listen: config.listen,
        registry,
        ...(config.webConfig === undefined ? {} : { webConfig: config.webConfig }),
        beforeScrape: () => {
          metrics.refresh();
          engineMetrics.refresh();
          identityMetrics.refresh();
        },
        notReady: () => agent.notReady(),
        degraded: () => agent.degraded(),
        onRequestError: (error, path) => log.error({ error: error.message, path }, 'request failed; answered 500'),
      });
      auditor.ownEndpoint(OwnEndpoint.bound(agent.server.host, agent.server.port));
    } catch (err) {
      await Promise.all(agent.sources.map((source) => source.close()));
      for (const source of liveIdentities) source.close();
      violations.close();
      throw err;
    }
    agent.timers.push(setInterval(() => agent.tick(), config.tickMs ?? TICK_MS));
    agent.timers.push(setInterval(() => violations.flush(), config.flushIntervalSeconds * 1000));
    log.info({ listen: agent.server.address, profile: matrix.name, hash: matrix.hash, tls: config.webConfig?.tls !== undefined, version: config.version, warmUpMs }, 'flowaudit watch started');
    return agent;
  }

  /** `host:port` the metrics endpoint is bound to. */
  get address(): string {
    return this.server!.address;
  }

  /**
   * Re-reads rules and inventories (SIGHUP). A file that does not load is rejected with a logged
   * error and a metric; the agent goes on with what it had. Live flows keep their state and are
   * judged by the new matrix from their next update on. Inventories and snapshots are applied as
   * the difference from what they held, as of now: flows keep the identities they began with.
   */
  reload(): boolean {
    try {
      const matrix = loadMatrix(this.config.rules);
      this.identitySource.reload(inventoryCheck(matrix));
      this.auditor.use(matrix, this.identities);
      this.auditMetrics.useMatrix(matrix);
      this.auditMetrics.recordReload(true);
      this.log.info({ profile: matrix.name, hash: matrix.hash, previousHash: this.matrix.hash }, 'rules reloaded');
      this.matrix = matrix;
      return true;
    } catch (err) {
      this.auditMetrics.recordReload(false);
      this.log.error({ error: (err as Error).message, profile: this.matrix.name, hash: this.matrix.hash }, 'reload rejected; keeping the rules in force');
      return false;
    }
  }

  /** Clean shutdown (SIGTERM, SIGINT): stop the sources once drained, end and judge every live flow, write everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    // Packets already captured may still be on their way (libpcap's blocks): let them reach their flows.
    const drainMs = Math.max(0, ...this.sources.map((s) => s.drainMs));
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    // The loader's last report of every flow (`end: stop`) is read before the table ends them.
    await Promise.all(this.sources.map((source) => source.close()));
    for (const source of this.liveIdentities) source.close();
    this.table.flush();
    this.violations.flush();
    this.violations.close();
    await this.server?.close();
    this.log.info({ packets: this.table.stats.packets, flows: this.table.stats.flowsEmitted, violationLog: this.violations.log?.stats }, 'flowaudit watch stopped');
  }

  /**
   * Why /readyz answers 503: shutting down, a source down (being reopened), or a live identity
   * source that has not delivered its first state (flows would be judged without the cluster's
   * names); null when ready.
   */
  private notReady(): string | null {
    if (this.stopping) return 'shutting down';
    const down = this.sources.map((s) => s.downReason()).filter((reason) => reason !== null);
    if (down.length > 0) return `capture down, reopening: ${down.join('; ')}`;
    const unsynced = this.liveIdentities.map((s) => s.status()).filter((s) => !s.synced);
    return unsynced.length > 0 ? unsynced.map((s) => `identity source ${s.source} not synced yet: ${s.downReason}`).join('; ') : null;
  }

  /**
   * What /readyz adds to a 200: a live identity source lost after its first sync. The agent goes on
   * judging on the last state it delivered (a restart would lose it and judge with none), so it
   * stays ready and says it is degraded (docs/agent.md).
   */
  private degraded(): string | null {
    const lost = this.liveIdentities.map((s) => s.status()).filter((s) => s.synced && !s.up);
    if (lost.length === 0) return null;
    return lost.map((s) => `identity source ${s.source} down, auditing on its last state (last synced ${new Date((s.lastSync ?? 0) * 1000).toISOString()}): ${s.downReason}`).join('; ');
  }

  private tick(): void {
    this.table.advanceClock(Date.now() / 1000);
    this.work.publish();
    this.step();
  }

  /**
   * Live verdicts and timeouts in steps of at most STEP_BUDGET_MS, one per turn of the event loop,
   * with its other work (scrapes, packets) between them, until none is pending.
   */
  private step(): void {
    if (this.stepping) return;
    this.stepping = true;
    setImmediate(() => {
      this.stepping = false;
      if (this.stopping) return;
      const deadline = performance.now() + STEP_BUDGET_MS;
      let pending: boolean;
      do pending = this.work.next();
      while (pending && performance.now() < deadline);
      if (pending) this.step();
    });
  }
}

/** The flow table's options as the agent runs it: the command's, bounded in steps (see its constants). */
export function agentTableOptions(table: Partial<FlowTableOptions>): Partial<FlowTableOptions> {
  return { ...table, sweepBatch: CHUNK_FLOWS, scanBatch: CHUNK_SLOTS, evictFraction: EVICT_FRACTION };
}

function isCaptureState(stats: LiveSourceStats): stats is CaptureState {
  return !('engine' in stats);
}

/** The eBPF engine's totals, when a loader is among the sources. */
function ebpfTotals(sources: readonly LiveSource[], flows: FlowPipeline): EbpfEngineTotals | undefined {
  const loader = sources.map((s) => s.stats()).find((s): s is LoaderSupervisorStats => !isCaptureState(s));
  if (loader === undefined) return undefined;
  const mapper = flows.loader;
  return {
    loader,
    attachMode: loader.up ? (mapper.hello?.attachMode ?? null) : null,
    kernel: mapper.kernelTotals(),
    mapEntries: loader.up ? mapper.mapEntries() : 0,
    interfacesAttached: loader.up ? mapper.interfaces.size : 0,
  };
}
