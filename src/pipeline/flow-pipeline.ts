/**
 * The packet stages, wired once: sources deliver packets to the decoder, decoded packets go to the
 * flow table, finished flows to one FlowSink. `flows` uses them alone; `analyze` and the agent put
 * the audit after them (pipeline.ts). Kept apart from the audit so that `flows` does not load the
 * auditor, the TLS and DNS decoders at start-up (bench/RESULTS.md, issue 16's cost).
 */
import type { TunnelCounts } from '../decode/packet-decoder.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { FlowSink } from '../flow/flow-record.js';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from '../flow/flow-table.js';
import { PacketFlowSink } from '../flow/packet-flow-sink.js';
import type { PayloadTap } from '../flow/payload-tap.js';
import { LoaderFlowMapper } from '../engine/loader-flow-mapper.js';
import type { SourceSink } from './source.js';

export interface FlowPipelineOptions {
  readonly table?: Partial<FlowTableOptions>;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  /** Sees payloads from one port as packets pass (DNS answers). */
  readonly tap?: PayloadTap;
  /** Told each Error event of the eBPF loader (an interface it could not attach to). */
  readonly onLoaderError?: (message: string) => void;
  /** The time a loader's payload chunk is taken to have been seen, seconds since the epoch (default the wall clock; a benchmark replays its stream's). */
  readonly loaderClock?: () => number;
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
    this.loader = new LoaderFlowMapper(this.table, { onLoaderError: options.onLoaderError, now: options.loaderClock });
    this.input = { packets: this.packets, loaderEvents: this.loader };
  }

  accounting(): PipelineAccounting {
    return { decode: this.packets.decoder.reasonCounts(), tunnels: this.packets.decoder.tunnelSummary(), table: this.table.stats };
  }
}
