/**
 * A capture file that cannot be read further. The message is one line naming the file and the
 * byte offset where the damage starts, so a user can inspect it with `xxd -s OFFSET`.
 */
export class CaptureFormatError extends Error {
  constructor(readonly file: string, readonly offset: number, readonly reason: string) {
    super(`${file}: offset ${offset}: ${reason}`);
    this.name = 'CaptureFormatError';
  }
}
