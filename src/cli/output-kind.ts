import { UsageError } from './usage-error.js';

export type OutputKind = 'json' | 'ndjson' | 'junit';

/** The report format an `analyze --output` path asks for, by its extension. */
export function outputKind(path: string): OutputKind {
  if (path.endsWith('.ndjson') || path.endsWith('.jsonl')) return 'ndjson';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.xml')) return 'junit';
  throw new UsageError(`--output ${path}: name the format by extension: .json, .ndjson or .xml (JUnit)`);
}
