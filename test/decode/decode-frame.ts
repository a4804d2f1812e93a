import type { PacketDecoder } from '../../src/decode/packet-decoder.js';

/** Bytes placed before the frame, so tests see that offsets are honoured rather than assumed 0. */
export const FRAME_OFFSET = 13;

/**
 * Decodes `frame` the way a reader hands it over: inside a larger buffer, at FRAME_OFFSET, with
 * unrelated bytes after it that must not be read as part of the packet. `capturedLength` below
 * the frame's length simulates a snaplen cut. Returns the DecodeReason.
 */
export function decodeFrame(decoder: PacketDecoder, frame: Buffer, linkType: number, capturedLength = frame.length): number {
  const buffer = Buffer.concat([Buffer.alloc(FRAME_OFFSET, 0xa5), frame.subarray(0, capturedLength), Buffer.alloc(64, 0x5a)]);
  return decoder.decode(buffer, FRAME_OFFSET, capturedLength, linkType);
}

/** Where a header at `index` of the frame sits in the buffer decodeFrame built. */
export const at = (index: number): number => FRAME_OFFSET + index;
