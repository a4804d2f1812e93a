import type { Registry } from 'prom-client';
import type { AuditSink } from '../audit/audited-flow.js';
import { LiveAuditor } from '../audit/live-auditor.js';
import type { Matrix } from '../audit/matrix.js';
import { AuditMetrics } from '../export/audit-metrics.js';
import { AuditNdjsonSink } from '../export/audit-ndjson.js';
import { FlowTable, type FlowTableOptions } from '../flow/flow-table.js';
import { PacketFlowSink } from '../flow/packet-flow-sink.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';

export interface AgentPipelineOptions {
  readonly table: Partial<FlowTableOptions>;
  readonly seenWindowSeconds: number;
  readonly dnsGraceSeconds: number;
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
  return { packets: new PacketFlowSink(table, dnsTap), table, auditor, auditMetrics, dnsTap, dnsNames };
}

/**
 * One chunk of the work the flow table leaves between packets: live flows with new evidence
 * judged, then timed-out flows swept, at most `flows` of each. Returns whether more is pending.
 */
export function judgeAndSweep(table: FlowTable, flows: number): boolean {
  const updates = table.publishUpdates(flows);
  const sweep = table.continueSweep();
  return updates || sweep;
}
