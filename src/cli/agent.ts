/**
 * `flowaudit watch`: the long-lived agent. Live captures feed the same pipeline `analyze` runs on
 * files (decode, flow table, audit); flows are judged as their evidence arrives and when they end,
 * verdicts go to Prometheus metrics and the violation log, and SIGHUP swaps in new rules and
 * inventories without dropping a flow.
 */
import { Registry } from 'prom-client';
import { LiveCapture, type LiveCaptureOptions } from '../capture/live-capture.js';
import type { AuditSink } from '../audit/audited-flow.js';
import { LiveAuditor } from '../audit/live-auditor.js';
import { loadMatrix } from '../audit/load-matrix.js';
import type { Matrix } from '../audit/matrix.js';
import { AuditMetrics } from '../export/audit-metrics.js';
import { AuditNdjsonSink } from '../export/audit-ndjson.js';
import { startMetricsServer, type MetricsServer } from '../export/metrics-server.js';
import { PipelineMetrics } from '../export/pipeline-metrics.js';
import { ViolationLog, type ViolationLogOptions } from '../export/violation-log.js';
import type { WebConfig } from '../export/web-config.js';
import { DEFAULT_FLOW_TABLE_OPTIONS, FlowTable, type FlowTableOptions } from '../flow/flow-table.js';
import { PacketFlowSink } from '../flow/packet-flow-sink.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { Logger } from './agent-logger.js';
import type { IdentityCliOptions } from './identity-options.js';
import { loadIdentities } from './load-identities.js';
import { VERSION } from './version.js';

export interface AgentConfig {
  readonly captures: readonly LiveCaptureOptions[];
  readonly rules: string;
  readonly identities: IdentityCliOptions;
  readonly table: Partial<FlowTableOptions>;
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
 * Flows one step of live judging, timeout sweeping or eviction hands on (each is judged, some
 * microseconds apiece): steps this size keep the event loop, and /metrics, answering within tens
 * of milliseconds when a flood of flows arrives, times out or fills the table.
 */
const STEP_FLOWS = 2000;
const EVICT_FRACTION = 1 / 256;

export class Agent {
  private readonly captures: LiveCapture[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private server?: MetricsServer;
  private stopping = false;
  private stepping = false;
  /** Captures that stopped on their own (the interface went away): the agent is not ready. */
  private readonly failed: string[] = [];

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private matrix: Matrix,
    private readonly auditor: LiveAuditor,
    private readonly auditMetrics: AuditMetrics,
    private readonly table: FlowTable,
    private readonly violationLog: ViolationLog | undefined,
    private readonly flushStdout: () => void,
  ) {}

  /** Loads everything, opens the captures and the endpoint; throws on bad input before capturing. */
  static async start(config: AgentConfig, log: Logger): Promise<Agent> {
    const matrix = loadMatrix(config.rules);
    const identities = loadIdentities(config.identities, matrix);
    const registry = new Registry();
    const auditMetrics = new AuditMetrics(matrix, registry, { seenWindowSeconds: config.seenWindowSeconds });
    const sinks: AuditSink[] = [auditMetrics];
    const violationLog = config.violationLog === undefined ? undefined : new ViolationLog(config.violationLog);
    if (violationLog !== undefined) sinks.push(new AuditNdjsonSink('violations', (line) => violationLog.add(line)));
    let stdoutLines: string[] = [];
    if (config.violationsToStdout) sinks.push(new AuditNdjsonSink('violations', (line) => stdoutLines.push(line)));
    const flushStdout = (): void => {
      if (stdoutLines.length === 0) return;
      process.stdout.write(stdoutLines.join('\n') + '\n');
      stdoutLines = [];
    };
    const dnsNames = new DnsNameCache({ graceSeconds: config.dnsGraceSeconds });
    const dnsTap = new DnsAnswerTap(dnsNames);
    const auditor = new LiveAuditor(matrix, identities, sinks, dnsNames);
    const table = new FlowTable(auditor, {
      ...config.table,
      sweepBatch: STEP_FLOWS,
      evictFraction: EVICT_FRACTION,
      initialCapacity: config.table.maxFlows ?? DEFAULT_FLOW_TABLE_OPTIONS.maxFlows,
    });
    const packets = new PacketFlowSink(table, dnsTap);
    const agent = new Agent(config, log, matrix, auditor, auditMetrics, table, violationLog, flushStdout);

    const pipeline = new PipelineMetrics(registry, VERSION, () => ({
      decode: packets.decoder.reasonCounts(),
      table: table.stats,
      liveFlows: table.liveFlows,
      dns: dnsTap.stats,
      dnsCacheAddresses: dnsNames.size,
      captures: agent.captures.map((c) => ({ interface: c.interfaceName, ...c.stats() })),
      ...(violationLog === undefined ? {} : { violationLog: violationLog.stats }),
    }));
    try {
      for (const options of config.captures) {
        const capture = LiveCapture.open(options, packets, (error) => {
          agent.failed.push(error.message);
          log.error({ interface: options.interface, error: error.message }, 'capture stopped');
        });
        agent.captures.push(capture);
        log.info({ interface: capture.interfaceName, linkType: capture.linkType, filter: options.filter, snaplen: options.snaplen }, 'capturing');
      }
      agent.server = await startMetricsServer({
        listen: config.listen,
        registry,
        ...(config.webConfig === undefined ? {} : { webConfig: config.webConfig }),
        beforeScrape: () => pipeline.refresh(),
        notReady: () => (agent.stopping ? 'shutting down' : agent.failed.length > 0 ? `capture stopped: ${agent.failed.join('; ')}` : null),
      });
    } catch (err) {
      for (const capture of agent.captures) capture.close();
      violationLog?.close();
      throw err;
    }
    agent.timers.push(setInterval(() => agent.tick(), TICK_MS));
    agent.timers.push(setInterval(() => agent.flush(), config.flushIntervalSeconds * 1000));
    log.info({ listen: agent.server.address, profile: matrix.name, hash: matrix.hash, tls: config.webConfig?.tls !== undefined, version: VERSION }, 'flowaudit watch started');
    return agent;
  }

  /**
   * Re-reads rules and inventories (SIGHUP). A file that does not load is rejected with a logged
   * error and a metric; the agent goes on with what it had. Live flows keep their state and are
   * judged by the new matrix from their next update on.
   */
  reload(): boolean {
    try {
      const matrix = loadMatrix(this.config.rules);
      const identities = loadIdentities(this.config.identities, matrix);
      this.auditor.use(matrix, identities);
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

  private tick(): void {
    this.table.advanceClock(Date.now() / 1000);
    this.step();
  }

  /**
   * Live verdicts and timeouts in steps of STEP_FLOWS flows, with the event loop's other work
   * (scrapes, packets) between them, until none is pending.
   */
  private step(): void {
    if (this.stepping) return;
    this.stepping = true;
    setImmediate(() => {
      this.stepping = false;
      if (this.stopping) return;
      const updates = this.table.publishUpdates(STEP_FLOWS);
      const sweep = this.table.continueSweep();
      if (updates || sweep) this.step();
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
