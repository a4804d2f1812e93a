import { openByteInput, type ByteInput } from './byte-input.js';
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
  /**
   * Called after each chunk read from the file (never per packet), with the file's summary so
   * far (its counters live) and the bytes read of it: for progress on long reads.
   */
  readonly onRead?: (summary: CaptureSummary, bytesRead: number) => void;
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
  const win = new InputWindow(options.onRead === undefined ? input : reportingReads(input, summary, options.onRead));
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

/** `input`, telling `onRead` after each read how many bytes it has delivered. */
function reportingReads(input: ByteInput, summary: CaptureSummary, onRead: (summary: CaptureSummary, bytesRead: number) => void): ByteInput {
  let bytesRead = 0;
  return {
    name: input.name,
    compressed: input.compressed,
    async read(target, targetOffset, length) {
      const n = await input.read(target, targetOffset, length);
      bytesRead += n;
      onRead(summary, bytesRead);
      return n;
    },
    close: () => input.close(),
  };
}
