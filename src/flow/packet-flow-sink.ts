import type { PacketSink } from '../capture/packet-sink.js';
import { DecodeReason } from '../decode/decode-reason.js';
import { PacketDecoder } from '../decode/packet-decoder.js';
import type { FlowTable } from './flow-table.js';

/**
 * The per-packet stage between a capture source and the flow table: decode, then account. What
 * does not decode is counted by the decoder per reason and goes no further.
 */
export class PacketFlowSink implements PacketSink {
  readonly decoder = new PacketDecoder();

  constructor(private readonly table: FlowTable) {}

  onPacket(data: Buffer, offset: number, capturedLength: number, _originalLength: number, linkType: number, seconds: number, nanos: number): void {
    if (this.decoder.decode(data, offset, capturedLength, linkType) === DecodeReason.Ok) {
      this.table.addPacket(this.decoder.packet, data, seconds, nanos);
    }
  }
}
