import { SourcePositionError } from '../source-position-error.js';

/** A rules file that cannot be loaded (`FILE:LINE:COL: message`). */
export class MatrixError extends SourcePositionError {
  override readonly name = 'MatrixError';
}
