import type { Registry } from 'prom-client';
import type { AuditSink } from '../audit/audited-flow.js';
import { LiveAuditor } from '../audit/live-auditor.js';
import type { Matrix } from '../audit/matrix.js';
import { AuditMetrics } from '../export/audit-metrics.js';
import { AuditNdjsonSink } from '../export/audit-ndjson.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import { FlowTable, type FlowTableOptions } from '../flow/flow-table.js';
import { PacketFlowSink } from '../flow/packet-flow-sink.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';

export interface AgentPipelineOptions {
  readonly table: Partial<FlowTableOptions>;
  readonly seenWindowSeconds: number;
  readonly dnsGraceSeconds: number;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  /** Where violation records go, one NDJSON line each (the violation log, stdout). */
  readonly violationWriters: readonly ((line: string) => void)[];
}

/** The agent's packet-to-verdict stages: packets in, verdicts out to metrics and violation records. */
export interface AgentPipeline {
  readonly packets: PacketFlowSink;
  readonly table: FlowTable;
  readonly auditor: LiveAuditor;
  readonly auditMetrics: AuditMetrics;
  readonly dnsTap: DnsAnswerTap;
  readonly dnsNames: DnsNameCache;
}

/**
 * Builds the stages between a capture and the agent's outputs. The agent builds one to run and,
 * at start, a throwaway one with its own registry to warm the code up on (agent-warm-up.ts): both
 * are wired here so that the warm-up runs exactly the code the real pipeline runs.
 */
export function buildAgentPipeline(matrix: Matrix, identities: IdentityProvider, registry: Registry, options: AgentPipelineOptions): AgentPipeline {
  const auditMetrics = new AuditMetrics(matrix, registry, { seenWindowSeconds: options.seenWindowSeconds });
  const sinks: AuditSink[] = [auditMetrics, ...options.violationWriters.map((write) => new AuditNdjsonSink('violations', write))];
  const dnsNames = new DnsNameCache({ graceSeconds: options.dnsGraceSeconds });
  const dnsTap = new DnsAnswerTap(dnsNames);
  const auditor = new LiveAuditor(matrix, identities, sinks, dnsNames);
  const table = new FlowTable(auditor, options.table);
  return { packets: new PacketFlowSink(table, dnsTap, options.tunnelPorts), table, auditor, auditMetrics, dnsTap, dnsNames };
}

/**
 * What the flow table leaves to do between packets, in chunks: live flows whose evidence grew
 * are judged in passes over the table, one pass per publish(); flows that timed out are swept as
 * the table's sweeps find them. A pass is not started again until publish() asks: looking for
 * flows with new evidence visits every slot, about 16 ms at a million live flows, and doing so
 * once per chunk slowed a mass timeout to 12,500 flows a second.
 */
export class DeferredTableWork {
  private publishing = false;

  constructor(private readonly table: FlowTable, private readonly chunkFlows: number) {}

  /** Starts a pass over the live flows with new evidence (the agent's tick, every second). */
  publish(): void {
    this.publishing = true;
  }

  /** Judges or sweeps up to `chunkFlows` flows of each kind of work; returns whether more is pending. */
  next(): boolean {
    if (this.publishing) this.publishing = this.table.publishUpdates(this.chunkFlows);
    const sweeping = this.table.continueSweep();
    return this.publishing || sweeping;
  }
}
