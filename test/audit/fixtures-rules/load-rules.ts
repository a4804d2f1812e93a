import { loadMatrix } from '../../../src/audit/load-matrix.js';
import type { Matrix } from '../../../src/audit/matrix.js';
import { MatrixError } from '../../../src/audit/matrix-error.js';

/** Loads `path` as `--rules` does from `cwd` (errors then name files relative to it). */
export function loadIn(cwd: string, path: string): Matrix {
  return loadMatrix(path, { cwd });
}

/** The MatrixError loading `path` from `cwd` throws; fails the test when it loads. */
export function loadErrorIn(cwd: string, path: string): MatrixError {
  try {
    loadIn(cwd, path);
  } catch (err) {
    if (err instanceof MatrixError) return err;
    throw err;
  }
  throw new Error(`${path} loaded`);
}
