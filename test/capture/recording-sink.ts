import type { PacketSink } from '../../src/capture/packet-sink.js';

export interface RecordedPacket {
  /** A copy: the reader's buffer is only valid during onPacket. */
  data: Buffer;
  originalLength: number;
  linkType: number;
  seconds: number;
  nanos: number;
}

/** A PacketSink that keeps every packet it is given, for tests to compare with what was written. */
export class RecordingSink implements PacketSink {
  readonly packets: RecordedPacket[] = [];

  onPacket(data: Buffer, offset: number, capturedLength: number, originalLength: number, linkType: number, seconds: number, nanos: number): void {
    if (capturedLength < 0 || offset < 0 || offset + capturedLength > data.length) {
      throw new Error(`reader delivered an impossible slice: offset ${offset}, length ${capturedLength}, buffer ${data.length}`);
    }
    this.packets.push({ data: Buffer.from(data.subarray(offset, offset + capturedLength)), originalLength, linkType, seconds, nanos });
  }
}
