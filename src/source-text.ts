import { readInputFile, type InputFileKind } from './input-file.js';

/**
 * Reads an input file (rules, inventory, snapshot, web config) as text, within its kind's size
 * limit (src/input-file.ts). Besides UTF-8 (with or without a BOM) it takes UTF-16 with a BOM,
 * which is what `kubectl ... > file` writes in Windows PowerShell 5.
 */
export function readSourceText(file: string, kind: InputFileKind, shownAs: string = file): string {
  const bytes = readInputFile(file, kind, shownAs);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  return bytes.toString('utf8');
}
