import type { Registry } from 'prom-client';
import type { AuditSink } from '../audit/audited-flow.js';
import type { Matrix } from '../audit/matrix.js';
import { AuditMetrics } from '../export/audit-metrics.js';
import { AuditNdjsonSink } from '../export/audit-ndjson.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { FlowTableOptions } from '../flow/flow-table.js';
import { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import { buildAuditPipeline, type AuditPipeline } from '../pipeline/pipeline.js';

export interface AgentPipelineOptions {
  readonly table: Partial<FlowTableOptions>;
  readonly seenWindowSeconds: number;
  readonly dnsGraceSeconds: number;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  /** Where violation records go, one NDJSON line each (the violation log, stdout). */
  readonly violationWriters: readonly ((line: string) => void)[];
  /** Told each Error event of the eBPF loader. */
  readonly onLoaderError?: (message: string) => void;
  /** The time a loader's payload chunk is taken to have been seen (default the wall clock; bench/agent-connections.mjs replays its stream's). */
  readonly loaderClock?: () => number;
}

/** The agent's pipeline: live judging, verdicts to Prometheus metrics and violation records. */
export interface AgentPipeline extends AuditPipeline {
  readonly auditMetrics: AuditMetrics;
}

/**
 * The agent's sinks on the shared pipeline (src/pipeline). The agent builds one to run and, at
 * start, a throwaway one with its own registry to warm the code up on (warm-up.ts): both are
 * built here, so that the warm-up runs exactly the code the real pipeline runs.
 */
export function buildAgentPipeline(matrix: Matrix, identities: IdentityProvider, registry: Registry, options: AgentPipelineOptions): AgentPipeline {
  const auditMetrics = new AuditMetrics(matrix, registry, { seenWindowSeconds: options.seenWindowSeconds });
  const sinks: AuditSink[] = [auditMetrics, ...options.violationWriters.map((write) => new AuditNdjsonSink('violations', write))];
  const dnsNames = new DnsNameCache({ graceSeconds: options.dnsGraceSeconds });
  const stages = buildAuditPipeline({ matrix, identities, sinks, dnsNames, live: true }, { table: options.table, tunnelPorts: options.tunnelPorts, onLoaderError: options.onLoaderError, loaderClock: options.loaderClock });
  return { ...stages, auditMetrics };
}
