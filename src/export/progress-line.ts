import { statSync } from 'node:fs';
import type { CaptureSummary } from '../capture/packet-sink.js';
import { formatBytes } from './byte-size.js';

/** A short read finishes in silence: progress shows only once a read has taken this long. */
const SHOW_AFTER_MS = 2000;
/** Redrawn at most this often: a terminal write per 256 KiB chunk would cost more than the read. */
const REDRAW_EVERY_MS = 250;

/** Where the line is drawn: a terminal's stream (stderr), whose width the line is cut to. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly columns?: number;
}

/**
 * One line on a terminal, redrawn in place while captures are read: the file, the bytes read of
 * its size where the size is known (a regular file, not gzip or a pipe), packets and flows.
 */
export class ProgressLine {
  private readonly started: number;
  private lastDrawn = -Infinity;
  private drawn = false;
  private file: string | undefined;
  /** Bytes in the file being read, when known. */
  private size: number | undefined;

  constructor(
    private readonly out: ProgressOutput,
    private readonly files: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(capture: CaptureSummary, bytesRead: number, flows: number): void {
    const t = this.now();
    if (t - this.started < SHOW_AFTER_MS || t - this.lastDrawn < REDRAW_EVERY_MS) return;
    this.lastDrawn = t;
    if (capture.file !== this.file) {
      this.file = capture.file;
      this.size = capture.compressed ? undefined : regularFileSize(capture.file);
    }
    const text = progressText(capture, bytesRead, this.size, flows, this.files);
    // Cut to the terminal's width: a wrapped line would not be overwritten by the next. A
    // terminal whose size is not set (a pseudo-terminal's default) says 0 columns.
    const width = (this.out.columns || 80) - 1;
    this.out.write(`\r${text.length > width ? text.slice(0, width) : text}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the line, if drawn, so what follows starts on a clean line. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** `reading a.pcap (2 of 3): 12.0 MiB of 48.0 MiB (25%), 80000 packets, 1200 flows` */
export function progressText(capture: CaptureSummary, bytesRead: number, size: number | undefined, flows: number, files: readonly string[]): string {
  const which = files.length > 1 ? ` (${files.indexOf(capture.file) + 1} of ${files.length})` : '';
  const read =
    size !== undefined && size > 0
      ? `${formatBytes(bytesRead)} of ${formatBytes(size)} (${Math.floor((100 * bytesRead) / size)}%)`
      : `${formatBytes(bytesRead)}${capture.compressed ? ' uncompressed' : ''}`;
  return `reading ${capture.file}${which}: ${read}, ${capture.packets} packets, ${flows} flows`;
}

/** The size of a regular file; undefined for standard input, pipes and devices. */
function regularFileSize(path: string): number | undefined {
  if (path === '-') return undefined;
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
