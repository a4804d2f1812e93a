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

/** Longest part of a file's text a message quotes: enough to recognise a value, too little to leak a file. */
export const EXCERPT_CHARS = 40;

/**
 * A value from a file as messages quote it: JSON-quoted (control characters escaped), cut to
 * EXCERPT_CHARS with an ellipsis, so no error echoes more than a short excerpt of what it read.
 */
export function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, EXCERPT_CHARS))}...`;
}

/** A name from a file shown unquoted (`Pod ns/name`, `*anchor`): cut to `max` and control characters escaped. */
export function cut(text: string, max: number = EXCERPT_CHARS): string {
  const escaped = JSON.stringify(text.length <= max ? text : text.slice(0, max)).slice(1, -1);
  return text.length <= max ? escaped : `${escaped}...`;
}
