import { openByteInput } from './byte-input.js';
import { CaptureFormatError } from './capture-error.js';
import { InputWindow } from './input-window.js';
import { emptySummary, type CaptureSummary, type PacketSink } from './packet-sink.js';
import { isPcapMagic, readPcap } from './pcap-reader.js';
import { isPcapngMagic, readPcapng } from './pcapng-reader.js';

export interface ReadCaptureOptions {
  /**
   * On damage, stop reading this file, record where and why in the summary, and keep every packet
   * delivered before it, instead of throwing.
   */
  readonly keepGoing?: boolean;
}

/**
 * Reads one capture (pcap or pcapng, plain or gzip, a path or "-" for stdin) into `sink`.
 * Throws CaptureFormatError on damage unless `keepGoing`; throws the system error if the file
 * cannot be opened.
 */
export async function readCapture(path: string, sink: PacketSink, options: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const summary = emptySummary(path);
  const input = await openByteInput(path);
  summary.compressed = input.compressed;
  const win = new InputWindow(input);
  try {
    if (!(await win.ensure(4))) throw win.fail(0, `file too short to be a capture (${win.available} bytes)`);
    const magic = win.buf.readUInt32LE(win.pos);
    if (isPcapngMagic(magic)) await readPcapng(win, sink, summary);
    else if (isPcapMagic(magic)) await readPcap(win, sink, summary);
    else throw win.fail(0, `not a pcap or pcapng file (magic 0x${win.buf.readUInt32BE(win.pos).toString(16).padStart(8, '0')})`);
  } catch (err) {
    if (!(err instanceof CaptureFormatError) || !options.keepGoing) throw err;
    summary.damage = { offset: err.offset, reason: err.reason, compressedOffset: err.compressedOffset };
  } finally {
    await win.close();
  }
  return summary;
}
