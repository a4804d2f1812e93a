/**
 * Where in a capture something is, as messages say it. Offsets in a gzipped capture count
 * decompressed bytes (the capture's own layout, as `zcat FILE | xxd -s OFFSET` shows it) and
 * say so; a gzip stream error adds how far into the compressed file zlib had read.
 */
export function describeOffset(offset: number, compressed: boolean, compressedOffset?: number): string {
  if (!compressed) return `offset ${offset}`;
  return `decompressed offset ${offset}` + (compressedOffset === undefined ? '' : `, compressed offset ${compressedOffset}`);
}

/**
 * A capture file that cannot be read further. The message is one line naming the file and the
 * byte offset where the damage starts, so a user can inspect it with `xxd -s OFFSET`.
 */
export class CaptureFormatError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    readonly compressed = false,
    /** For a gzip stream error: the compressed bytes zlib had consumed when it failed. */
    readonly compressedOffset?: number,
  ) {
    super(`${file}: ${describeOffset(offset, compressed, compressedOffset)}: ${reason}`);
    this.name = 'CaptureFormatError';
  }
}
