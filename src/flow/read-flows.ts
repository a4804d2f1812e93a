import type { CaptureSummary } from '../capture/packet-sink.js';
import { readCapture } from '../capture/read-capture.js';
import type { TunnelCounts } from '../decode/packet-decoder.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { FlowSink } from './flow-record.js';
import { FlowTable, type FlowTableOptions, type FlowTableStats } from './flow-table.js';
import { PacketFlowSink } from './packet-flow-sink.js';
import type { PayloadTap } from './payload-tap.js';

export interface ReadFlowsOptions {
  readonly keepGoing?: boolean;
  readonly table?: Partial<FlowTableOptions>;
  /** Sees payloads from one port as packets pass (DNS answers). */
  readonly tap?: PayloadTap;
  /** UDP ports opened as tunnels (default DEFAULT_TUNNEL_PORTS). */
  readonly tunnelPorts?: TunnelPorts;
  /** Called after each chunk read (see ReadCaptureOptions.onRead), with the flow table's counters too. */
  readonly onRead?: (capture: CaptureSummary, bytesRead: number, table: FlowTableStats) => void;
}

export interface ReadFlowsResult {
  readonly captures: CaptureSummary[];
  /** Packets per decode outcome ("ok" included), over all files. */
  readonly decode: Record<string, number>;
  /** Tunnel packets opened, and inner packets that did not decode, over all files. */
  readonly tunnels: TunnelCounts;
  readonly table: FlowTableStats;
}

/**
 * Reads captures in order as one continuous trace (rotated files continue each other) through
 * decode into one flow table, and emits every flow to `sink`, the live ones at the end.
 */
export async function readFlows(paths: readonly string[], sink: FlowSink, options: ReadFlowsOptions = {}): Promise<ReadFlowsResult> {
  const table = new FlowTable(sink, options.table);
  const packets = new PacketFlowSink(table, options.tap, options.tunnelPorts);
  const captures: CaptureSummary[] = [];
  const onRead = options.onRead;
  const read = { keepGoing: options.keepGoing, onRead: onRead && ((capture: CaptureSummary, bytesRead: number) => onRead(capture, bytesRead, table.stats)) };
  for (const path of paths) captures.push(await readCapture(path, packets, read));
  table.flush();
  return { captures, decode: packets.decoder.reasonCounts(), tunnels: packets.decoder.tunnelSummary(), table: table.stats };
}
