import type { InputWindow } from './input-window.js';
import { addCapturedBeyondOriginal, addWarning, type CaptureSummary, type PacketSink } from './packet-sink.js';

const GLOBAL_HEADER_LENGTH = 24;

/**
 * libpcap refuses records longer than this (MAXIMUM_SNAPLEN); a larger caplen means the file is
 * damaged, and trusting it would make us buffer up to 4 GiB.
 */
export const MAX_RECORD_LENGTH = 262144;
/**
 * A header snaplen above MAX_RECORD_LENGTH raises the limit (some link types carry larger
 * records), but only this far: a damaged header must not license a 4 GiB record either.
 */
const MAX_TRUSTED_SNAPLEN = 16 << 20;

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
/** Kuznetzov's "modified pcap" (old Red Hat tcpdump): 8 more header bytes per record. */
const MAGIC_MODIFIED = 0xa1b2cd34;

export function isPcapMagic(first4: number): boolean {
  return pcapMagicKind(first4) !== null;
}

function pcapMagicKind(le32: number): { littleEndian: boolean; nanos: boolean; recordHeader: number } | null {
  switch (le32) {
    case MAGIC_MICROS: return { littleEndian: true, nanos: false, recordHeader: 16 };
    case MAGIC_NANOS: return { littleEndian: true, nanos: true, recordHeader: 16 };
    case MAGIC_MODIFIED: return { littleEndian: true, nanos: false, recordHeader: 24 };
    case 0xd4c3b2a1: return { littleEndian: false, nanos: false, recordHeader: 16 };
    case 0x4d3cb2a1: return { littleEndian: false, nanos: true, recordHeader: 16 };
    case 0x34cdb2a1: return { littleEndian: false, nanos: false, recordHeader: 24 };
    default: return null;
  }
}

/**
 * Checks the header's version as libpcap does (it reads 2.0 to 2.4, and 543.0 from DG/UX) and
 * returns whether records may have their lengths in the order from before 2.3. Older than 2.0 is
 * refused, as libpcap and tshark refuse it; newer than 2.4 is read as 2.4, with a warning, as
 * tshark reads it (tcpdump refuses it).
 */
function checkVersion(win: InputWindow, h: number, littleEndian: boolean, summary: CaptureSummary): boolean {
  const major = littleEndian ? win.buf.readUInt16LE(h + 4) : win.buf.readUInt16BE(h + 4);
  const minor = littleEndian ? win.buf.readUInt16LE(h + 6) : win.buf.readUInt16BE(h + 6);
  if (major === 2 && minor === 4) return false;
  const version = `pcap version ${major}.${minor}`;
  if (major < 2) throw win.fail(h + 4, `${version} is older than 2.0, which libpcap and tshark refuse`);
  const old = (major === 2 && minor < 4) || (major === 543 && minor === 0);
  const how = old ? 'read as libpcap does: where a captured length exceeds the original, the two are swapped' : 'read as 2.4, as tshark does; tcpdump refuses it';
  addWarning(summary, 'pcap-version', win.offsetOf(h + 4), () => `${version} is not 2.4 (${how})`);
  return old;
}

/**
 * A fraction of a second at or above a whole second: tshark notes "Fractional second N is
 * invalid" and tcpdump prints it as it is; both read the packet. A function of its own so that
 * the record loop's variables are not captured by the message's closure.
 */
function addFractionOutOfRange(summary: CaptureSummary, offset: number, fraction: number, limit: number): void {
  addWarning(summary, 'fraction-out-of-range', offset, () => `fraction of a second ${fraction} is not below ${limit}`);
}

/** Reads a classic libpcap file from the window's position to its end. */
export async function readPcap(win: InputWindow, sink: PacketSink, summary: CaptureSummary): Promise<void> {
  if (!(await win.ensure(GLOBAL_HEADER_LENGTH))) {
    throw win.fail(win.pos, `file ends inside the pcap global header (${win.available} of 24 bytes)`);
  }
  const header = win.buf;
  const h = win.pos;
  const kind = pcapMagicKind(header.readUInt32LE(h));
  if (kind === null) throw win.fail(h, 'not a pcap file (bad magic)');
  const { littleEndian, nanos, recordHeader } = kind;
  const swapsLengths = checkVersion(win, h, littleEndian, summary);
  const snapLength = littleEndian ? header.readUInt32LE(h + 16) : header.readUInt32BE(h + 16);
  // The upper bits carry the FCS length flags; the link type is the low 16.
  const linkType = (littleEndian ? header.readUInt32LE(h + 20) : header.readUInt32BE(h + 20)) & 0xffff;
  summary.format = 'pcap';
  summary.sections = 1;
  summary.interfaces.push({ linkType, snapLength });
  win.pos += GLOBAL_HEADER_LENGTH;

  const fractionToNanos = nanos ? 1 : 1000;
  /** A fraction at or above one second is read as it is (a later time), with a warning, as tshark notes it. */
  const fractionLimit = nanos ? 1_000_000_000 : 1_000_000;
  const maxCaplen = Math.max(MAX_RECORD_LENGTH, Math.min(snapLength, MAX_TRUSTED_SNAPLEN));
  let packets = 0;
  let bytes = 0;
  let truncated = 0;
  for (;;) {
    const buf = win.buf;
    const end = win.end;
    let pos = win.pos;
    let need = recordHeader;
    let absurdCaplen = -1;
    while (end - pos >= recordHeader) {
      // Plain byte arithmetic: measurably faster than Buffer#readUInt32* on this path.
      let seconds, fraction, caplen, length;
      if (littleEndian) {
        seconds = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
        fraction = (buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24)) >>> 0;
        caplen = (buf[pos + 8] | (buf[pos + 9] << 8) | (buf[pos + 10] << 16) | (buf[pos + 11] << 24)) >>> 0;
        length = (buf[pos + 12] | (buf[pos + 13] << 8) | (buf[pos + 14] << 16) | (buf[pos + 15] << 24)) >>> 0;
      } else {
        seconds = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
        fraction = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
        caplen = ((buf[pos + 8] << 24) | (buf[pos + 9] << 16) | (buf[pos + 10] << 8) | buf[pos + 11]) >>> 0;
        length = ((buf[pos + 12] << 24) | (buf[pos + 13] << 16) | (buf[pos + 14] << 8) | buf[pos + 15]) >>> 0;
      }
      if (swapsLengths && caplen > length) {
        const t = caplen;
        caplen = length;
        length = t;
      }
      if (caplen > maxCaplen) {
        absurdCaplen = caplen;
        break;
      }
      if (end - pos < recordHeader + caplen) {
        need = recordHeader + caplen;
        break;
      }
      sink.onPacket(buf, pos + recordHeader, caplen, length, linkType, seconds, fraction * fractionToNanos);
      packets++;
      bytes += length;
      if (caplen < length) truncated++;
      else if (caplen > length) addCapturedBeyondOriginal(summary, win.offsetOf(pos), caplen, length);
      if (fraction >= fractionLimit) addFractionOutOfRange(summary, win.offsetOf(pos + 4), fraction, fractionLimit);
      pos += recordHeader + caplen;
    }
    win.pos = pos;
    summary.packets += packets;
    summary.bytes += bytes;
    summary.truncatedPackets += truncated;
    packets = bytes = truncated = 0;
    // Thrown only now, so that with keepGoing the summary counts every packet delivered before it.
    if (absurdCaplen >= 0) throw win.fail(pos, `record captured length ${absurdCaplen} exceeds the limit of ${maxCaplen} bytes`);
    if (!(await win.ensure(need))) {
      if (win.available === 0) return;
      throw win.fail(win.pos, `file ends inside a record (${win.available} of ${need} bytes present)`);
    }
  }
}
