/**
 * `flowaudit watch`: the long-lived agent. Live captures feed the same pipeline `analyze` runs on
 * files (decode, flow table, audit); flows are judged as their evidence arrives and when they end,
 * verdicts go to Prometheus metrics and the violation log, and SIGHUP swaps in new rules and
 * inventories without dropping a flow.
 */
import { Registry } from 'prom-client';
import type { LiveCaptureOptions } from '../capture/live-capture.js';
import { ReopeningCapture, type CaptureEvents } from '../capture/reopening-capture.js';
import type { LiveAuditor } from '../audit/live-auditor.js';
import { loadMatrix } from '../audit/load-matrix.js';
import { OwnEndpoint } from '../audit/own-endpoint.js';
import type { Matrix } from '../audit/matrix.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { AuditMetrics } from '../export/audit-metrics.js';
import { startMetricsServer, type MetricsServer } from '../export/metrics-server.js';
import { PipelineMetrics } from '../export/pipeline-metrics.js';
import { ViolationLog, type ViolationLogOptions } from '../export/violation-log.js';
import type { WebConfig } from '../export/web-config.js';
import { DEFAULT_FLOW_TABLE_OPTIONS, type FlowTable, type FlowTableOptions } from '../flow/flow-table.js';
import type { FileIdentitySource } from '../identity/file-identity-source.js';
import { describeConflict } from '../identity/address-history.js';
import { IdentityIndex } from '../identity/identity-index.js';
import type { Logger } from './agent-logger.js';
import { buildAgentPipeline, DeferredTableWork } from './agent-pipeline.js';
import { WARM_UP_TABLE, warmUp } from './agent-warm-up.js';
import type { IdentityCliOptions } from './identity-options.js';
import { identityFiles, inventoryCheck } from './load-identities.js';
import { VERSION } from './version.js';

export interface AgentConfig {
  readonly captures: readonly LiveCaptureOptions[];
  readonly rules: string;
  readonly identities: IdentityCliOptions;
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
}

/** How often live flows with new evidence are judged and the flow table's clock moves on. */
const TICK_MS = 1000;
/**
 * libpcap (TPACKET_V3) hands packets over a block at a time, when a block fills or after its 1 s
 * timeout: at shutdown the agent keeps reading this long so the last packets reach their flows.
 */
const DRAIN_MS = 1100;
/**
 * Longest one turn of the event loop spends judging live flows and sweeping timed-out ones before
 * it lets packets and scrapes in. A scrape waits for a few turns (accept, read, answer), each
 * also reading up to 1024 packets: turns bounded by time, not by a count of flows, keep /metrics
 * answering within tens of milliseconds when a flood of flows arrives or times out, whether a
 * flow takes a few microseconds to judge or, cold or with a new address to identify, ten times that.
 */
const STEP_BUDGET_MS = 8;
/** Flows judged or swept between two looks at the clock. */
const CHUNK_FLOWS = 200;
/** Slots a pass for new evidence or timed-out flows reads between two looks at the clock (well under 1 ms). */
const CHUNK_SLOTS = 16384;
/** At the live-flow bound, the share of the table evicted (and judged) at once, within one packet. */
const EVICT_FRACTION = 1 / 256;

export class Agent {
  private readonly captures: ReopeningCapture[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private server?: MetricsServer;
  private stopping = false;
  private stepping = false;

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private matrix: Matrix,
    private readonly auditor: LiveAuditor,
    private readonly auditMetrics: AuditMetrics,
    private readonly table: FlowTable,
    private readonly work: DeferredTableWork,
    private readonly violationLog: ViolationLog | undefined,
    private readonly flushStdout: () => void,
    private readonly identitySource: FileIdentitySource,
    private readonly identities: IdentityIndex,
  ) {}

  /** Loads everything, opens the captures and the endpoint; throws on bad input before capturing. */
  static async start(config: AgentConfig, log: Logger): Promise<Agent> {
    const matrix = loadMatrix(config.rules);
    const identitySource = identityFiles(config.identities, matrix);
    // Two live objects on one address: the later claim names it from then on (docs/architecture.md).
    const identities = new IdentityIndex({}, { onConflict: (c) => log.warn({ conflict: describeConflict(c) }, 'two live objects claim one address') });
    identitySource.start(identities);
    const stages = { seenWindowSeconds: config.seenWindowSeconds, dnsGraceSeconds: config.dnsGraceSeconds, tunnelPorts: config.tunnelPorts };
    const table = { ...config.table, sweepBatch: CHUNK_FLOWS, scanBatch: CHUNK_SLOTS, evictFraction: EVICT_FRACTION };
    // Violation records are left out of the warm-up: its flows all violate, and serialising them
    // would double its time for a path only violations take.
    const warmUpMs = warmUp(buildAgentPipeline(matrix, identities, new Registry(), { ...stages, table: { ...table, ...WARM_UP_TABLE }, violationWriters: [] }));
    const violationLog = config.violationLog === undefined ? undefined : new ViolationLog(config.violationLog);
    let stdoutLines: string[] = [];
    const flushStdout = (): void => {
      if (stdoutLines.length === 0) return;
      process.stdout.write(stdoutLines.join('\n') + '\n');
      stdoutLines = [];
    };
    const violationWriters: ((line: string) => void)[] = [];
    if (violationLog !== undefined) violationWriters.push((line) => violationLog.add(line));
    if (config.violationsToStdout) violationWriters.push((line) => stdoutLines.push(line));
    const registry = new Registry();
    const { packets, table: flowTable, auditor, auditMetrics, dnsTap, dnsNames } = buildAgentPipeline(matrix, identities, registry, {
      ...stages,
      table: { ...table, initialCapacity: config.table.maxFlows ?? DEFAULT_FLOW_TABLE_OPTIONS.maxFlows },
      violationWriters,
    });
    const work = new DeferredTableWork(flowTable, CHUNK_FLOWS);
    const agent = new Agent(config, log, matrix, auditor, auditMetrics, flowTable, work, violationLog, flushStdout, identitySource, identities);

    const pipeline = new PipelineMetrics(registry, VERSION, () => ({
      decode: packets.decoder.reasonCounts(),
      tunnels: packets.decoder.tunnelSummary(),
      table: flowTable.stats,
      liveFlows: flowTable.liveFlows,
      dns: dnsTap.stats,
      dnsCacheAddresses: dnsNames.size,
      captures: agent.captures.map((c) => c.state()),
      ...(violationLog === undefined ? {} : { violationLog: violationLog.stats }),
    }));
    try {
      for (const options of config.captures) {
        const capture = new ReopeningCapture(options, packets, agent.captureEvents(options.interface));
        agent.captures.push(capture);
        log.info({ interface: options.interface, linkType: capture.linkType, filter: options.filter, snaplen: options.snaplen }, 'capturing');
      }
      agent.server = await startMetricsServer({
        listen: config.listen,
        registry,
        ...(config.webConfig === undefined ? {} : { webConfig: config.webConfig }),
        beforeScrape: () => pipeline.refresh(),
        notReady: () => agent.notReady(),
        onRequestError: (error, path) => log.error({ error: error.message, path }, 'request failed; answered 500'),
      });
      auditor.ownEndpoint(OwnEndpoint.bound(agent.server.host, agent.server.port));
    } catch (err) {
      for (const capture of agent.captures) capture.close();
      violationLog?.close();
      throw err;
    }
    agent.timers.push(setInterval(() => agent.tick(), TICK_MS));
    agent.timers.push(setInterval(() => agent.flush(), config.flushIntervalSeconds * 1000));
    log.info({ listen: agent.server.address, profile: matrix.name, hash: matrix.hash, tls: config.webConfig?.tls !== undefined, version: VERSION, warmUpMs }, 'flowaudit watch started');
    return agent;
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

  /** Clean shutdown (SIGTERM, SIGINT): stop capturing, end and judge every live flow, write everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    for (const capture of this.captures) capture.close();
    this.table.flush();
    this.flush();
    this.violationLog?.close();
    await this.server?.close();
    this.log.info({ packets: this.table.stats.packets, flows: this.table.stats.flowsEmitted, violationLog: this.violationLog?.stats }, 'flowaudit watch stopped');
  }

  /** Why /readyz answers 503: shutting down, or a capture down (being reopened); null when ready. */
  private notReady(): string | null {
    if (this.stopping) return 'shutting down';
    const down = this.captures.map((c) => c.downReason).filter((reason) => reason !== null);
    return down.length > 0 ? `capture down, reopening: ${down.join('; ')}` : null;
  }

  /** Log lines for a capture's interface going away and coming back. */
  private captureEvents(name: string): CaptureEvents {
    return {
      stopped: (error, retryInMs) => this.log.error({ interface: name, error: error.message, retryInMs }, 'capture stopped; reopening'),
      retryFailed: (error, retryInMs) => this.log.warn({ interface: name, error: error.message, retryInMs }, 'capture not reopened; retrying'),
      reopened: (linkType, downMs) => this.log.info({ interface: name, linkType, downMs }, 'capture reopened'),
    };
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

  private flush(): void {
    this.violationLog?.flush();
    this.flushStdout();
    const stats = this.violationLog?.stats;
    if (stats?.lastError !== undefined) {
      this.log.error({ error: stats.lastError, lost: stats.lost }, 'violation log write failed');
      delete stats.lastError;
    }
  }
}
