/**
 * An input file (rules, inventory, snapshot) that cannot be used, as one line:
 * `FILE:LINE:COL: message`. Line and column are 1-based; 0 means the error concerns the file as a
 * whole (it cannot be read, or no position could be found), shown as `FILE: message`. Shared by
 * the stages that read such files, so the CLI reports them all alike.
 */
export class SourcePositionError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${detail}` : `${file}: ${detail}`);
  }
}
