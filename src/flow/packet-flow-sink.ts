import { isCaptureTime } from '../capture/capture-time.js';
import type { PacketSink } from '../capture/packet-sink.js';
import { DecodeReason } from '../decode/decode-reason.js';
import { PacketDecoder } from '../decode/packet-decoder.js';
import type { TunnelPorts } from '../decode/tunnel-ports.js';
import type { FlowTable } from './flow-table.js';
import type { PayloadTap } from './payload-tap.js';

/**
 * The per-packet stage between a capture source and the flow table: decode, hand tapped payloads
 * on, then account. What does not decode is counted by the decoder per reason and goes no further;
 * so is a packet whose time no report could print (a damaged or hostile pcapng timestamp). A
 * tunnel packet is accounted to its own (outer) flow, then each packet inside it to its own.
 */
export class PacketFlowSink implements PacketSink {
  readonly decoder: PacketDecoder;
  /** -1 when there is no tap: one comparison per packet either way. */
  private readonly tapPort: number;

  constructor(private readonly table: FlowTable, private readonly tap?: PayloadTap, tunnelPorts?: TunnelPorts) {
    this.decoder = new PacketDecoder(tunnelPorts);
    this.tapPort = tap?.sourcePort ?? -1;
  }

  onPacket(data: Buffer, offset: number, capturedLength: number, _originalLength: number, linkType: number, seconds: number, nanos: number): void {
    if (!isCaptureTime(seconds)) {
      this.decoder.counts[DecodeReason.TimestampOutOfRange]++;
      return;
    }
    if (this.decoder.decode(data, offset, capturedLength, linkType) !== DecodeReason.Ok) return;
    const p = this.decoder.packet;
    do {
      if (p.srcPort === this.tapPort && p.payloadCaptured > 0) {
        this.tap!.onPayload(p.protocol, data, p.payloadOffset, p.payloadCaptured, p.payloadCaptured < p.payloadLength, seconds + nanos * 1e-9);
      }
      this.table.addPacket(p, data, seconds, nanos);
    } while (this.decoder.decapsulate(data));
  }
}
