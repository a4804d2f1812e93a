import { formatAddress } from '../net/ip-address.js';
import { u32be, u32le } from './byte-order.js';
import type { InputWindow } from './input-window.js';
import { addCapturedBeyondOriginal, addWarning, type CaptureInterface, type CaptureSummary, type PacketSink } from './packet-sink.js';
import { describeTsresol, isSupportedTsresol, TimestampConverter } from './pcapng-timestamp.js';

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_NRB = 0x00000004;
const BLOCK_ISB = 0x00000005;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** libpcap's ceiling for one block; a larger length is damage, not data. */
const MAX_BLOCK_LENGTH = 16 << 20;
/**
 * Bound memory spent on Name Resolution Blocks from a hostile file: addresses, and the bytes of
 * their names (one record may hold 64 KiB of them). Entries past either are counted, not kept.
 */
export const MAX_RESOLVED_NAMES = 100_000;
export const MAX_RESOLVED_NAME_BYTES = 16 << 20;
/**
 * Interfaces one file may declare, over all its sections (tshark, too, keeps one table per file).
 * Real captures declare one per captured interface (dumpcap, tcpdump) or per merged input
 * (mergecap): tens, a few thousand on a node with a veth per pod. 2^16 is what the obsolete
 * Packet Block's 16-bit interface field can address; `flows` peaks at 93 MB RSS reading up to it
 * (48 MB for a one-packet file), where millions of 20-byte IDBs (under 100 KB gzipped) took
 * gigabytes.
 */
export const MAX_INTERFACES = 65_536;
/** Longest if_name kept: Linux names fit in 16 bytes, Windows device paths in about 60. */
export const MAX_INTERFACE_NAME_BYTES = 256;

const OPT_END = 0;
const IDB_OPT_NAME = 2;
const IDB_OPT_TSRESOL = 9;
const IDB_OPT_TSOFFSET = 14;
const ISB_OPT_IFRECV = 4;
const ISB_OPT_IFDROP = 5;
const ISB_OPT_FILTERACCEPT = 6;
const ISB_OPT_OSDROP = 7;
const ISB_OPT_USRDELIV = 8;

export function isPcapngMagic(first4: number): boolean {
  return first4 === BLOCK_SHB;
}

interface SectionInterface {
  readonly info: CaptureInterface;
  readonly clock: TimestampConverter;
}

/** Per-section state: byte order and the interfaces its IDBs declared, in order. */
class Section {
  readonly interfaces: SectionInterface[] = [];
  constructor(readonly littleEndian: boolean) {}

  u16(buf: Buffer, at: number): number {
    return this.littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  u32(buf: Buffer, at: number): number {
    return this.littleEndian ? u32le(buf, at) : u32be(buf, at);
  }

  u64(buf: Buffer, at: number): number {
    return this.littleEndian ? u32le(buf, at + 4) * 4294967296 + u32le(buf, at) : u32be(buf, at) * 4294967296 + u32be(buf, at + 4);
  }

  /** Two's-complement 64-bit, as if_tsoffset is. */
  i64(buf: Buffer, at: number): number {
    return this.littleEndian ? (u32le(buf, at + 4) | 0) * 4294967296 + u32le(buf, at) : (u32be(buf, at) | 0) * 4294967296 + u32be(buf, at + 4);
  }
}

/**
 * Reads a pcapng file: every section (each with its own byte order), IDBs with per-interface link
 * type, if_tsresol and if_tsoffset, EPB/SPB/obsolete PB packets, NRB names and ISB counters.
 * Custom and unknown blocks are skipped by their length and counted.
 */
export async function readPcapng(win: InputWindow, sink: PacketSink, summary: CaptureSummary): Promise<void> {
  summary.format = 'pcapng';
  let section: Section | null = null;
  let lastSeconds = 0;
  let lastNanos = 0;
  let nameBytes = 0;
  for (;;) {
    if (!(await win.ensure(12))) {
      if (win.available === 0) return;
      throw win.fail(win.pos, `file ends inside a block header (${win.available} of 12 bytes present)`);
    }
    let buf = win.buf;
    let pos = win.pos;
    const type = section === null || u32le(buf, pos) === BLOCK_SHB ? u32le(buf, pos) : section.u32(buf, pos);
    if (type === BLOCK_SHB) {
      const magic = u32le(buf, pos + 8);
      if (magic === BYTE_ORDER_MAGIC) section = new Section(true);
      else if (magic === 0x4d3c2b1a) section = new Section(false);
      else throw win.fail(pos + 8, `section header has a bad byte-order magic 0x${magic.toString(16)}`);
      summary.sections++;
    } else if (section === null) {
      throw win.fail(pos, 'not a pcapng file (first block is not a section header)');
    }
    const length = section.u32(buf, pos + 4);
    if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_LENGTH) {
      throw win.fail(pos + 4, `block of type 0x${type.toString(16)} has an invalid length ${length}`);
    }
    if (!(await win.ensure(length))) {
      throw win.fail(win.pos, `file ends inside a block of type 0x${type.toString(16)} (${win.available} of ${length} bytes present)`);
    }
    buf = win.buf;
    pos = win.pos;
    const trailer = section.u32(buf, pos + length - 4);
    if (trailer !== length) {
      throw win.fail(pos + length - 4, `block trailing length ${trailer} differs from its leading length ${length}`);
    }

    // The hot path: a run of EPBs parsed without leaving this loop.
    const end = win.end;
    const le = section.littleEndian;
    const ifaces = section.interfaces;
    if (type === BLOCK_EPB) {
      let blockLength = length;
      for (;;) {
        if (blockLength < 32) throw win.fail(pos, `enhanced packet block too short (${blockLength} bytes)`);
        const ifIndex = le ? u32le(buf, pos + 8) : u32be(buf, pos + 8);
        const iface = ifaces[ifIndex];
        if (iface === undefined) throw win.fail(pos + 8, `packet names interface ${ifIndex}, but the section declares ${ifaces.length}`);
        const caplen = le ? u32le(buf, pos + 20) : u32be(buf, pos + 20);
        if (caplen > blockLength - 32) throw win.fail(pos + 20, `captured length ${caplen} exceeds its block (${blockLength} bytes)`);
        const origlen = le ? u32le(buf, pos + 24) : u32be(buf, pos + 24);
        const optionsAt = pos + 28 + ((caplen + 3) & ~3);
        if (optionsAt < pos + blockLength - 4) forEachOption(win, section, optionsAt, pos + blockLength - 4, ignoreOption);
        const clock = iface.clock;
        if (le) clock.convert(u32le(buf, pos + 12), u32le(buf, pos + 16));
        else clock.convert(u32be(buf, pos + 12), u32be(buf, pos + 16));
        sink.onPacket(buf, pos + 28, caplen, origlen, iface.info.linkType, clock.seconds, clock.nanos);
        summary.packets++;
        summary.bytes += origlen;
        if (caplen < origlen) summary.truncatedPackets++;
        else if (caplen > origlen) addCapturedBeyondOriginal(summary, win.offsetOf(pos + 20), caplen, origlen);
        pos += blockLength;
        win.pos = pos;
        lastSeconds = clock.seconds;
        lastNanos = clock.nanos;
        // Stay in this loop while the next block is a whole, well-formed EPB already in the buffer;
        // anything else goes back through the checked path above.
        if (end - pos < 32 || (le ? u32le(buf, pos) : u32be(buf, pos)) !== BLOCK_EPB) break;
        blockLength = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4);
        if (blockLength < 32 || blockLength % 4 !== 0 || end - pos < blockLength) break;
        if ((le ? u32le(buf, pos + blockLength - 4) : u32be(buf, pos + blockLength - 4)) !== blockLength) break;
      }
      continue;
    }

    switch (type) {
      case BLOCK_SHB:
        forEachOption(win, section, pos + 24, pos + length - 4, ignoreOption);
        break;
      case BLOCK_IDB:
        readInterface(win, section, pos, length, summary);
        break;
      case BLOCK_SPB: {
        const iface = ifaces[0];
        if (iface === undefined) throw win.fail(pos, 'simple packet block before any interface description');
        if (length < 16) throw win.fail(pos, `simple packet block too short (${length} bytes)`);
        const origlen = section.u32(buf, pos + 8);
        let caplen = Math.min(origlen, length - 16);
        if (iface.info.snapLength > 0) caplen = Math.min(caplen, iface.info.snapLength);
        // SPBs carry no timestamp: the previous packet's time keeps flow timing monotonic.
        sink.onPacket(buf, pos + 12, caplen, origlen, iface.info.linkType, lastSeconds, lastNanos);
        summary.packets++;
        summary.bytes += origlen;
        if (caplen < origlen) summary.truncatedPackets++;
        break;
      }
      case BLOCK_PB: {
        if (length < 32) throw win.fail(pos, `packet block too short (${length} bytes)`);
        const ifIndex = section.u16(buf, pos + 8);
        const iface = ifaces[ifIndex];
        if (iface === undefined) throw win.fail(pos + 8, `packet names interface ${ifIndex}, but the section declares ${ifaces.length}`);
        const caplen = section.u32(buf, pos + 20);
        if (caplen > length - 32) throw win.fail(pos + 20, `captured length ${caplen} exceeds its block (${length} bytes)`);
        const origlen = section.u32(buf, pos + 24);
        forEachOption(win, section, pos + 28 + ((caplen + 3) & ~3), pos + length - 4, ignoreOption);
        iface.clock.convert(section.u32(buf, pos + 12), section.u32(buf, pos + 16));
        lastSeconds = iface.clock.seconds;
        lastNanos = iface.clock.nanos;
        sink.onPacket(buf, pos + 28, caplen, origlen, iface.info.linkType, lastSeconds, lastNanos);
        summary.packets++;
        summary.bytes += origlen;
        if (caplen < origlen) summary.truncatedPackets++;
        else if (caplen > origlen) addCapturedBeyondOriginal(summary, win.offsetOf(pos + 20), caplen, origlen);
        break;
      }
      case BLOCK_NRB:
        nameBytes += readNameResolution(win, section, pos + 8, pos + length - 4, summary, nameBytes);
        break;
      case BLOCK_ISB:
        readInterfaceStatistics(win, section, pos, length);
        break;
      default:
        summary.skippedBlocks++;
    }
    win.pos = pos + length;
  }
}

function readInterface(win: InputWindow, section: Section, pos: number, length: number, summary: CaptureSummary): void {
  if (length < 20) throw win.fail(pos, `interface description block too short (${length} bytes)`);
  if (summary.interfaces.length >= MAX_INTERFACES) throw win.fail(pos, `interface description block beyond the limit of ${MAX_INTERFACES} interfaces per file`);
  const buf = win.buf;
  const info: CaptureInterface = { linkType: section.u16(buf, pos + 8), snapLength: section.u32(buf, pos + 12) };
  let tsresol = 6;
  let offsetSeconds = 0;
  forEachOption(win, section, pos + 16, pos + length - 4, (code, at, len) => {
    if (code === IDB_OPT_TSRESOL && len >= 1) {
      tsresol = buf[at];
      if (!isSupportedTsresol(tsresol)) throw win.fail(at, `if_tsresol ${describeTsresol(tsresol)} is finer than a 64-bit timestamp can count`);
    } else if (code === IDB_OPT_TSOFFSET && len >= 8) {
      offsetSeconds = section.i64(buf, at);
    } else if (code === IDB_OPT_NAME) {
      info.name = buf.toString('utf8', at, at + Math.min(len, MAX_INTERFACE_NAME_BYTES)).replace(/\0+$/, '');
    }
  });
  section.interfaces.push({ info, clock: new TimestampConverter(tsresol, offsetSeconds) });
  summary.interfaces.push(info);
}

function readInterfaceStatistics(win: InputWindow, section: Section, pos: number, length: number): void {
  if (length < 24) throw win.fail(pos, `interface statistics block too short (${length} bytes)`);
  const buf = win.buf;
  const ifIndex = section.u32(buf, pos + 8);
  const iface = section.interfaces[ifIndex];
  if (iface === undefined) throw win.fail(pos + 8, `statistics name interface ${ifIndex}, but the section declares ${section.interfaces.length}`);
  const stats = (iface.info.statistics ??= {});
  forEachOption(win, section, pos + 20, pos + length - 4, (code, at, len) => {
    if (len < 8) return;
    const value = section.u64(buf, at);
    if (code === ISB_OPT_IFRECV) stats.receivedByInterface = value;
    else if (code === ISB_OPT_IFDROP) stats.droppedByInterface = value;
    else if (code === ISB_OPT_OSDROP) stats.droppedByOs = value;
    else if (code === ISB_OPT_FILTERACCEPT) stats.acceptedByFilter = value;
    else if (code === ISB_OPT_USRDELIV) stats.deliveredToUser = value;
  });
}

/**
 * Keeps an NRB's address names, within MAX_RESOLVED_NAMES and the name bytes left of
 * MAX_RESOLVED_NAME_BYTES (`nameBytes` spent so far); returns the name bytes it kept. A record
 * running past its block is damage, as tshark says.
 */
function readNameResolution(win: InputWindow, section: Section, at: number, end: number, summary: CaptureSummary, nameBytes: number): number {
  const buf = win.buf;
  let kept = 0;
  while (at + 4 <= end) {
    const recordType = section.u16(buf, at);
    const recordLength = section.u16(buf, at + 2);
    const value = at + 4;
    if (recordType === 0) break;
    if (value + recordLength > end) throw win.fail(at, `name resolution record of length ${recordLength} runs past the end of its block (${end - value} bytes left)`);
    const addressLength = recordType === 1 ? 4 : recordType === 2 ? 16 : 0;
    const textLength = recordLength - addressLength;
    if (addressLength > 0 && textLength > 0) {
      if (summary.resolvedNames.size >= MAX_RESOLVED_NAMES || nameBytes + kept + textLength > MAX_RESOLVED_NAME_BYTES) {
        addWarning(summary, 'names-not-kept', win.offsetOf(at), () => `name resolution entries past ${MAX_RESOLVED_NAMES} addresses or ${MAX_RESOLVED_NAME_BYTES >> 20} MiB of names are counted, not kept`);
      } else {
        const names = buf.toString('utf8', value + addressLength, value + recordLength).split('\0').filter((n) => n.length > 0);
        if (names.length > 0) summary.resolvedNames.set(addressText(buf, value, addressLength), names);
        kept += textLength;
      }
    }
    at = value + ((recordLength + 3) & ~3);
  }
  forEachOption(win, section, at + 4, end, ignoreOption);
  return kept;
}

/** The text flows print for the same address (RFC 5952 for IPv6), so names can be looked up by it. */
function addressText(buf: Buffer, at: number, length: number): string {
  const words = new Uint32Array(4);
  if (length === 4) {
    words[2] = 0xffff;
    words[3] = u32be(buf, at);
  } else {
    for (let i = 0; i < 4; i++) words[i] = u32be(buf, at + 4 * i);
  }
  return formatAddress(words);
}

/**
 * Walks a block's options (code, length, value padded to 4) in `win.buf`, stopping at
 * opt_endofopt. An option that runs past its block is damage, as tshark says ("Not enough data
 * to handle option of length N") and libpcap too (for the blocks it reads options of).
 */
function forEachOption(win: InputWindow, section: Section, at: number, end: number, visit: (code: number, at: number, length: number) => void): void {
  const buf = win.buf;
  while (at + 4 <= end) {
    const code = section.u16(buf, at);
    const length = section.u16(buf, at + 2);
    if (code === OPT_END) return;
    if (at + 4 + length > end) throw win.fail(at, `option ${code} of length ${length} runs past the end of its block (${end - at - 4} bytes left)`);
    visit(code, at + 4, length);
    at += 4 + ((length + 3) & ~3);
  }
}

/** For blocks whose options flowaudit does not use, but checks. */
function ignoreOption(): void {}
