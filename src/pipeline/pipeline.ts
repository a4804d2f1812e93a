/**
 * The one place the audit is wired after the packet stages (flow-pipeline.ts): DNS answers go to
 * the name cache on the way, finished and updated flows to the auditor, verdicts to the sinks.
 * `analyze` and the agent (and its warm-up) build their stages here, `flows` the packet stages
 * alone; they differ only in their sources and sinks.
 */
import type { AuditSink } from '../audit/audited-flow.js';
import { Auditor } from '../audit/auditor.js';
import { LiveAuditor } from '../audit/live-auditor.js';
import type { Matrix } from '../audit/matrix.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import type { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import { FlowPipeline, type FlowPipelineOptions } from './flow-pipeline.js';

export interface AuditStages {
  readonly matrix: Matrix;
  readonly identities: IdentityProvider;
  /** Where verdicts go (reports, metrics, violation records). */
  readonly sinks: readonly AuditSink[];
  /** Where the DNS answers seen on the way name addresses (sinks may read it: the report's peer names). */
  readonly dnsNames: DnsNameCache;
  /** Judge flows as their evidence arrives too (the agent's LiveAuditor), not only when they end. */
  readonly live: boolean;
}

/** The flow stages with the audit after them, and the DNS answers that name peers on the way. */
export interface AuditPipeline {
  readonly flows: FlowPipeline;
  readonly auditor: Auditor;
  readonly dnsTap: DnsAnswerTap;
  readonly dnsNames: DnsNameCache;
}

export function buildAuditPipeline(audit: AuditStages, options: Omit<FlowPipelineOptions, 'tap'> = {}): AuditPipeline {
  // DNS answers in the traffic name the peers of the flows that follow them.
  const { dnsNames } = audit;
  const dnsTap = new DnsAnswerTap(dnsNames);
  const auditor = new (audit.live ? LiveAuditor : Auditor)(audit.matrix, audit.identities, audit.sinks, dnsNames);
  return { flows: new FlowPipeline(auditor, { ...options, tap: dnsTap }), auditor, dnsTap, dnsNames };
}
