/**
 * The published JSON Schemas (schemas/*.schema.json) loaded into one validator, so tests can hold
 * every writer's output to the schema a user of the records reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

const SCHEMAS = resolve(import.meta.dirname, '../../schemas');

export type RecordSchema = 'flow' | 'audited-flow' | 'flows-report' | 'audit-report' | 'run';

const ajv = new Ajv2020({ allErrors: true, strict: true });
for (const name of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')), name);

/** Fails with the first few schema errors (instance path and message) when `value` does not fit. */
export function expectSchema(schema: RecordSchema, value: unknown, what: string): void {
  const validate = ajv.getSchema(`${schema}.schema.json`)!;
  const ok = validate(value);
  expect(ok ? [] : validate.errors!.slice(0, 5).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`), what).toEqual([]);
}
