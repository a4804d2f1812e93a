/**
 * An inventory or Kubernetes snapshot that cannot be used: one line, `FILE:LINE:COL: message`.
 * Line and column are 1-based; 0 means the error concerns the file as a whole (it cannot be read,
 * or its position could not be found), shown as `FILE: message`.
 */
export class IdentitySourceError extends Error {
  override readonly name = 'IdentitySourceError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${detail}` : `${file}: ${detail}`);
  }
}
