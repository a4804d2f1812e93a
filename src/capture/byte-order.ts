/**
 * 32-bit reads by plain byte arithmetic: on the per-packet paths these measurably beat
 * Buffer#readUInt32LE/BE, which check bounds and argument types on every call.
 */
export function u32le(buf: Buffer, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

export function u32be(buf: Buffer, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}
