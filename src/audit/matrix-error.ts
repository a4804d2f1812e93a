/**
 * A rules file that cannot be loaded: one line, `FILE:LINE:COL: message`. Line and column are
 * 1-based; 0 means the error concerns the file as a whole (it cannot be read).
 */
export class MatrixError extends Error {
  override readonly name = 'MatrixError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${detail}` : `${file}: ${detail}`);
  }
}
