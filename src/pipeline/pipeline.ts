/**
 * The one place the stages are wired: sources deliver packets to the decoder, decoded packets go
 * to the flow table (DNS answers to the name cache on the way), finished and updated flows to the
 * auditor, verdicts to the sinks. `flows`, `analyze` and the agent (and its warm-up) all build
 * their stages here; they differ only in their sources and sinks.
 */
import type { AuditSink } from '../audit/audited-flow.js';
import { Auditor } from '../audit/auditor.js';
import { LiveAuditor } from '../audit/live-auditor.js';
import type { Matrix } from '../audit/matrix.js';
import type { TunnelCounts } from '../decode/packet-decoder.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { FlowSink } from '../flow/flow-record.js';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from '../flow/flow-table.js';
import { PacketFlowSink } from '../flow/packet-flow-sink.js';
import type { PayloadTap } from '../flow/payload-tap.js';
import { LoaderFlowMapper } from '../engine/loader-flow-mapper.js';
import { DnsAnswerTap } from '../identity/dns-answer-tap.js';
import type { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import type { SourceSink } from './source.js';

export interface FlowPipelineOptions {
  readonly table?: Partial<FlowTableOptions>;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  /** Sees payloads from one port as packets pass (DNS answers). */
  readonly tap?: PayloadTap;
  /** Told each Error event of the eBPF loader (an interface it could not attach to). */
  readonly onLoaderError?: (message: string) => void;
}

/** What the packet stages counted: decode outcomes, tunnels opened, the flow table's counters. */
export interface PipelineAccounting {
  /** Packets per decode outcome ("ok" included). */
  readonly decode: Record<string, number>;
  /** Tunnel packets opened, and inner packets that did not decode. */
  readonly tunnels: TunnelCounts;
  readonly table: FlowTableStats;
}

/**
 * Decode and the flow table: packets in, flows out to one FlowSink. The eBPF loader's events go
 * into the same table through the mapper, so both engines' flows meet the same audit.
 */
export class FlowPipeline {
  readonly table: FlowTable;
  readonly packets: PacketFlowSink;
  /** The eBPF engine's way in; it also keeps what the loader reports of itself (hello, kernel counters, interfaces). */
  readonly loader: LoaderFlowMapper;
  /** Where sources deliver. */
  readonly input: SourceSink;

  constructor(flows: FlowSink, options: FlowPipelineOptions = {}) {
    this.table = new FlowTable(flows, options.table);
    this.packets = new PacketFlowSink(this.table, options.tap, options.tunnelPorts);
    this.loader = new LoaderFlowMapper(this.table, { onLoaderError: options.onLoaderError });
    this.input = { packets: this.packets, loaderEvents: this.loader };
  }

  accounting(): PipelineAccounting {
    return { decode: this.packets.decoder.reasonCounts(), tunnels: this.packets.decoder.tunnelSummary(), table: this.table.stats };
  }
}

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
