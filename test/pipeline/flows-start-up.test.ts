import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/**
 * The src modules a module loads when it loads (its static imports, followed), as paths from the
 * repository root: what a start of the CLI compiles and runs before any command's own chunk.
 * Type-only imports and `await import()` load nothing then.
 */
function loadedAtStart(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.[^']+)\.js'/gms)) visit(relative(ROOT, join(dirname(join(ROOT, file)), `${m[1]}.ts`)));
  };
  visit(entry);
  return seen;
}

describe("the CLI's start-up", () => {
  const atStart = loadedAtStart('src/cli/main.ts');

  it('the walk sees the flow stages `flows` needs (the check below is not vacuous)', () => {
    expect(atStart).toContain('src/flow/flow-table.ts');
    expect(atStart).toContain('src/pipeline/flow-pipeline.ts');
    expect(atStart).toContain('src/export/flow-record-json.ts');
  });

  it('loads neither the audit nor the TLS and DNS decoders: `flows` does not use them (bench/RESULTS.md, issue 16)', () => {
    const auditOnly = ['src/audit/auditor.ts', 'src/pipeline/pipeline.ts', 'src/decode/tls-handshake.ts', 'src/decode/dns-message.ts', 'src/identity/dns-answer-tap.ts'];
    expect(auditOnly.filter((m) => atStart.has(m))).toEqual([]);
  });
});
