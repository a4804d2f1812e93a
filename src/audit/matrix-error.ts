import { SourcePositionError } from '../source-position-error.js';

/** A rules file that cannot be loaded (`FILE:LINE:COL: message`). */
export class MatrixError extends SourcePositionError {
  override readonly name: string = 'MatrixError';
}

/**
 * Every error found in a rules file and its includes, in the order the loader met them. It is
 * the first of them (its message, file and position), so a caller that reports one line reports
 * that; `rules validate` reports each.
 */
export class MatrixErrors extends MatrixError {
  override readonly name = 'MatrixErrors';

  constructor(readonly errors: readonly MatrixError[]) {
    super(errors[0].file, errors[0].line, errors[0].column, errors[0].detail);
  }
}
