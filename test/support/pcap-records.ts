/**
 * Reads the records of a classic pcap file, for tests that rewrite real captures (wrap their frames
 * in other framings). Written independently of src/: nothing here reuses the code under test.
 */
import type { PcapRecord, PcapSpec } from './capture-writer.js';

export interface PcapContent {
  spec: PcapSpec;
  records: PcapRecord[];
}

/** Microsecond or nanosecond pcap in either byte order; throws on anything else. */
export function readPcap(file: Buffer): PcapContent {
  const magicLe = file.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const magic = le ? magicLe : file.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`not a classic pcap (magic ${magicLe.toString(16)})`);
  const u32 = (at: number) => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const spec: PcapSpec = { endian: le ? 'le' : 'be', nanos: magic === 0xa1b23c4d, snapLength: u32(16), linkType: u32(20) };
  const records: PcapRecord[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const captured = u32(at + 8);
    records.push({ seconds: u32(at), fraction: u32(at + 4), originalLength: u32(at + 12), data: file.subarray(at + 16, at + 16 + captured) });
    at += 16 + captured;
  }
  return { spec, records };
}
