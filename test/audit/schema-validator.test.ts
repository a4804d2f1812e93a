/** The schema validator compiled ahead of time stays the schema's: regenerated, it is the committed file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module script without types
import { generatedValidator } from '../../scripts/generate-schema-validator.mjs';

describe('src/audit/matrix-schema-validator.ts', () => {
  it('is what ajv compiles from rules/schema.json now (run node scripts/generate-schema-validator.mjs after a schema change)', () => {
    expect(readFileSync('src/audit/matrix-schema-validator.ts', 'utf8')).toBe((generatedValidator as () => string)());
  });
});
