import { SourcePositionError } from '../source-position-error.js';

/** An inventory or Kubernetes snapshot that cannot be used (`FILE:LINE:COL: message`). */
export class IdentitySourceError extends SourcePositionError {
  override readonly name = 'IdentitySourceError';
}
