/**
 * Builds capture files (classic pcap, pcapng) byte by byte, so the reader tests state exactly what
 * is on disk, and bench/'s generators write their captures with it; the frames inside them come
 * from src/frame-builder.ts. Written independently of the readers: nothing here reuses the code
 * under test. Every call allocates: not for a hot path (test/support/capture-writer.ts re-exports it).
 */
import { type Endian, ipv4Bytes, ipv6Bytes, padTo4, u16, u32, u64 } from '../frame-builder.js';

// ---------------------------------------------------------------------------------------------
// Classic pcap

export const PCAP_HEADER_LENGTH = 24;

export interface PcapSpec {
  endian: Endian;
  nanos?: boolean;
  /** Kuznetzov's modified format: 24-byte record headers. */
  modified?: boolean;
  snapLength?: number;
  linkType: number;
}

export interface PcapRecord {
  seconds: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  fraction: number;
  data: Buffer;
  /** Length on the wire; defaults to the data length. */
  originalLength?: number;
}

export function pcapHeader(spec: PcapSpec): Buffer {
  const magic = spec.modified ? 0xa1b2cd34 : spec.nanos ? 0xa1b23c4d : 0xa1b2c3d4;
  const e = spec.endian;
  return Buffer.concat([u32(magic, e), u16(2, e), u16(4, e), u32(0, e), u32(0, e), u32(spec.snapLength ?? 65535, e), u32(spec.linkType, e)]);
}

export function pcapRecord(spec: PcapSpec, record: PcapRecord): Buffer {
  const e = spec.endian;
  const header = [u32(record.seconds, e), u32(record.fraction, e), u32(record.data.length, e), u32(record.originalLength ?? record.data.length, e)];
  // The modified format adds ifindex (4), protocol (2), packet type (1) and padding (1).
  if (spec.modified) header.push(u32(2, e), u16(0x0800, e), Buffer.of(0, 0));
  return Buffer.concat([...header, record.data]);
}

export function pcapFile(spec: PcapSpec, records: PcapRecord[]): Buffer {
  return Buffer.concat([pcapHeader(spec), ...records.map((r) => pcapRecord(spec, r))]);
}

// ---------------------------------------------------------------------------------------------
// pcapng

export const BLOCK = { SHB: 0x0a0d0d0a, IDB: 1, PB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0a, Custom: 0x00000bad, CustomNoCopy: 0x40000bad } as const;

export interface PcapngOption {
  code: number;
  value: Buffer;
}

/** An options list ending in opt_endofopt; empty input gives no bytes at all. */
export function pcapngOptions(endian: Endian, options: PcapngOption[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts = options.map((o) => Buffer.concat([u16(o.code, endian), u16(o.value.length, endian), padTo4(o.value)]));
  return Buffer.concat([...parts, u32(0, endian)]);
}

/** A block: type, total length, the body padded to 4, the total length again. */
export function pcapngBlock(endian: Endian, type: number, body: Buffer, trailingLength?: number): Buffer {
  const padded = padTo4(body);
  const length = 12 + padded.length;
  return Buffer.concat([u32(type, endian), u32(length, endian), padded, u32(trailingLength ?? length, endian)]);
}

export function shb(endian: Endian, options: PcapngOption[] = []): Buffer {
  const body = Buffer.concat([u32(0x1a2b3c4d, endian), u16(1, endian), u16(0, endian), u64(-1n, endian), pcapngOptions(endian, options)]);
  return pcapngBlock(endian, BLOCK.SHB, body);
}

export function idb(endian: Endian, spec: { linkType: number; snapLength?: number; options?: PcapngOption[] }): Buffer {
  const body = Buffer.concat([u16(spec.linkType, endian), u16(0, endian), u32(spec.snapLength ?? 0, endian), pcapngOptions(endian, spec.options ?? [])]);
  return pcapngBlock(endian, BLOCK.IDB, body);
}

export const ifName = (name: string): PcapngOption => ({ code: 2, value: Buffer.from(name) });
/** if_tsresol: 10^-v, or 2^-(v & 0x7f) with the high bit set. */
export const ifTsresol = (value: number): PcapngOption => ({ code: 9, value: Buffer.of(value) });
export const ifTsoffset = (endian: Endian, seconds: bigint): PcapngOption => ({ code: 14, value: u64(seconds, endian) });
export const comment = (text: string): PcapngOption => ({ code: 1, value: Buffer.from(text) });

export interface PacketSpec {
  interfaceId?: number;
  /** In the interface's if_tsresol units. */
  timestamp?: bigint;
  data: Buffer;
  originalLength?: number;
  options?: PcapngOption[];
}

function timestampWords(endian: Endian, timestamp: bigint): Buffer {
  return Buffer.concat([u32(Number(timestamp >> 32n), endian), u32(Number(timestamp & 0xffffffffn), endian)]);
}

export function epb(endian: Endian, spec: PacketSpec): Buffer {
  const body = Buffer.concat([
    u32(spec.interfaceId ?? 0, endian),
    timestampWords(endian, spec.timestamp ?? 0n),
    u32(spec.data.length, endian),
    u32(spec.originalLength ?? spec.data.length, endian),
    padTo4(spec.data),
    pcapngOptions(endian, spec.options ?? []),
  ]);
  return pcapngBlock(endian, BLOCK.EPB, body);
}

/** The obsolete Packet Block: a 16-bit interface id and a 16-bit drops count. */
export function pb(endian: Endian, spec: PacketSpec & { drops?: number }): Buffer {
  const body = Buffer.concat([
    u16(spec.interfaceId ?? 0, endian),
    u16(spec.drops ?? 0, endian),
    timestampWords(endian, spec.timestamp ?? 0n),
    u32(spec.data.length, endian),
    u32(spec.originalLength ?? spec.data.length, endian),
    padTo4(spec.data),
  ]);
  return pcapngBlock(endian, BLOCK.PB, body);
}

/** The Simple Packet Block: original length and data only (interface 0, no timestamp). */
export function spb(endian: Endian, spec: { data: Buffer; originalLength?: number }): Buffer {
  return pcapngBlock(endian, BLOCK.SPB, Buffer.concat([u32(spec.originalLength ?? spec.data.length, endian), padTo4(spec.data)]));
}

export type NameRecord = { ipv4: string; names: string[] } | { ipv6: string; names: string[] };

export function nrb(endian: Endian, records: NameRecord[]): Buffer {
  const parts = records.map((r) => {
    const [type, address] = 'ipv4' in r ? [1, ipv4Bytes(r.ipv4)] : [2, ipv6Bytes(r.ipv6)];
    const value = Buffer.concat([address, ...r.names.map((n) => Buffer.from(`${n}\0`))]);
    return Buffer.concat([u16(type, endian), u16(value.length, endian), padTo4(value)]);
  });
  return pcapngBlock(endian, BLOCK.NRB, Buffer.concat([...parts, u32(0, endian)]));
}

/** ISB counter option codes. */
export const ISB = { StartTime: 2, EndTime: 3, IfRecv: 4, IfDrop: 5, FilterAccept: 6, OsDrop: 7, UsrDeliv: 8 } as const;

export function isb(endian: Endian, spec: { interfaceId: number; timestamp?: bigint; counters: [code: number, value: bigint][] }): Buffer {
  const options = spec.counters.map(([code, value]) => ({ code, value: u64(value, endian) }));
  const body = Buffer.concat([u32(spec.interfaceId, endian), timestampWords(endian, spec.timestamp ?? 0n), pcapngOptions(endian, options)]);
  return pcapngBlock(endian, BLOCK.ISB, body);
}

/** A custom block: Private Enterprise Number, then opaque data. */
export function customBlock(endian: Endian, data: Buffer, copyable = true): Buffer {
  return pcapngBlock(endian, copyable ? BLOCK.Custom : BLOCK.CustomNoCopy, Buffer.concat([u32(32473, endian), data]));
}
