import { readFileSync } from 'node:fs';
import { SourcePositionError } from './source-position-error.js';

/**
 * Reads an input file (inventory, snapshot, web config) as text. Besides UTF-8 (with or without a BOM) it takes UTF-16 with a
 * BOM, which is what `kubectl ... > file` writes in Windows PowerShell 5.
 */
export function readSourceText(file: string, shownAs: string = file): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SourcePositionError(shownAs, 0, 0, `cannot read: ${readFailure(err)}`);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  return bytes.toString('utf8');
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error)?.message ?? String(err);
}
