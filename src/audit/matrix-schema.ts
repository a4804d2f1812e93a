import type { ErrorObject, ValidateFunction } from 'ajv';
import { excerpt } from '../source-position-error.js';
import type { MatrixError } from './matrix-error.js';
import { validate as generatedValidate } from './matrix-schema-validator.js';
import type { RulesDocument, YamlPath } from './matrix-yaml.js';

/**
 * rules/schema.json compiled ahead of time by ajv (scripts/generate-schema-validator.mjs):
 * compiling it at each start cost about 0.1 s.
 */
const validate = generatedValidate as ValidateFunction;

/** A schema error, positioned, with the path of the value it is about (a misnamed key's map). */
export interface SchemaError {
  readonly path: YamlPath;
  /** For a map key that is not allowed (unknown, or a bad component name): the key. */
  readonly key?: string;
  readonly error: MatrixError;
}

/**
 * Validates a parsed rules file against rules/schema.json: every error, one per value, key or
 * missing key (ajv may report one several ways, e.g. a bad component name as its pattern and as
 * the map's propertyNames), in ajv's order, which follows the document's.
 */
export function schemaErrors(doc: RulesDocument): SchemaError[] {
  if (validate(doc.value)) return [];
  const found = validate.errors ?? [];
  if (found.length === 0) return [{ path: [], error: doc.error([], 'does not match the rules schema') }];
  const errors: SchemaError[] = [];
  const seen = new Set<string>();
  for (const e of found) {
    const error = toSchemaError(doc, e);
    const what = `${e.instancePath}#${error.key ?? String(e.params.missingProperty ?? '')}`;
    if (seen.has(what)) continue;
    seen.add(what);
    errors.push(error);
  }
  return errors;
}

function toSchemaError(doc: RulesDocument, e: ErrorObject): SchemaError {
  const path = pointerToPath(e.instancePath);
  const key = e.propertyName ?? (e.keyword === 'propertyNames' ? String(e.params.propertyName) : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined);
  return { path, ...(key !== undefined && { key }), error: toMatrixError(doc, e) };
}

function toMatrixError(doc: RulesDocument, e: ErrorObject): MatrixError {
  const path = pointerToPath(e.instancePath);
  const where = describePath(path);
  const custom = (e.parentSchema as Record<string, unknown> | undefined)?.['x-message'];
  if (e.propertyName !== undefined) {
    // A map key that fails `propertyNames`: point at the key.
    const key = e.propertyName;
    return doc.keyError(path, key, `${where}: ${excerpt(key)} ${typeof custom === 'string' ? custom : 'is not an allowed name'}`);
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const isSelector = path.length === 4 && path[0] === 'components' && path[2] === 'match';
      const hint = isSelector ? custom : `allowed: ${Object.keys(schemaProperties(e)).join(', ')}`;
      return doc.keyError(path, key, `${where}: unknown key ${excerpt(key)} (${hint})`);
    }
    case 'required': {
      const why = typeof custom === 'string' ? ` (${custom})` : '';
      return doc.error(path, `${where}: missing required key "${String(e.params.missingProperty)}"${why}`);
    }
    case 'propertyNames': {
      const key = String(e.params.propertyName);
      return doc.keyError(path, key, `${where}: ${excerpt(key)} is not an allowed name`);
    }
    case 'pattern':
    case 'maxLength':
      return doc.error(path, `${where}: ${show(e.data)} ${typeof custom === 'string' ? custom : `must match ${String(e.params.pattern)}`}`);
    case 'minProperties':
    case 'maxProperties':
      return doc.error(path, `${where}: ${typeof custom === 'string' ? custom : String(e.message)}`);
    case 'type': {
      const quote = e.params.type === 'string' || (Array.isArray(e.params.type) && e.params.type.includes('string'));
      const hint = quote && (typeof e.data === 'number' || typeof e.data === 'boolean') ? ' (quote it)' : '';
      // The value's type is what is wrong: a string is not quoted (it may be a whole file read as rules).
      return doc.error(path, `${where}: must be ${article(e.params.type as string | string[])}, not ${typeof e.data === 'string' ? 'a string' : show(e.data)}${hint}`);
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      const hint = typeof e.data === 'number' ? ' (quote it)' : '';
      return doc.error(path, `${where}: must be one of ${allowed}, not ${show(e.data)}${hint}`);
    }
    case 'const':
      return doc.error(path, `${where}: must be ${JSON.stringify(e.params.allowedValue)}, not ${show(e.data)}`);
    case 'minimum':
    case 'maximum':
      return doc.error(path, `${where}: ${show(e.data)} is out of range (${String(e.message)})`);
    case 'minItems':
      return doc.error(path, `${where}: must not be empty`);
    case 'minLength':
      return doc.error(path, `${where}: must not be empty`);
    default:
      return doc.error(path, `${where}: ${String(e.message)}`);
  }
}

function schemaProperties(e: ErrorObject): Record<string, unknown> {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ?? {};
}

/** `/connections/3/ports/1` -> ['connections', 3, 'ports', 1]. */
function pointerToPath(pointer: string): YamlPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** ['connections', 3, 'ports', 1] -> `connections[3].ports[1]`; the root is `document`. */
export function describePath(path: YamlPath): string {
  if (path.length === 0) return 'document';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : /^[A-Za-z_][\w-]*$/.test(part) ? `.${part}` : `[${excerpt(part)}]`;
  }
  return out;
}

function article(type: string | string[]): string {
  const names = (Array.isArray(type) ? type : [type]).map((t) => (t === 'object' ? 'a map' : t === 'array' ? 'a list' : `a ${t}`));
  return names.join(' or ');
}

/** A value as it appears in a message: `"text"` (an excerpt), `1.2`, `null`, `a list`, `a map`. */
function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  if (typeof value === 'string') return excerpt(value);
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
