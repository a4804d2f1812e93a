import type { JsonPath } from './json-scan.js';

/** A value of the wrong shape, at `path` from the document root. */
export class ShapeError extends Error {
  constructor(
    readonly path: JsonPath,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * A value in a parsed JSON document with the path it was reached by, so a complaint can say where.
 * Absent and null read alike: API servers and kubectl versions differ in which they write for an
 * unset field. A present value of the wrong type is always an error.
 */
export class JsonField {
  constructor(
    readonly value: unknown,
    readonly path: JsonPath,
  ) {}

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  error(detail: string): ShapeError {
    return new ShapeError(this.path, detail);
  }

  /** The member `key`; absent when this value is absent. */
  field(key: string): JsonField {
    if (!this.present) return new JsonField(undefined, [...this.path, key]);
    if (!isObject(this.value)) throw this.error(`must be an object, found ${typeName(this.value)}`);
    return new JsonField(this.value[key], [...this.path, key]);
  }

  /** The elements of a list; none when absent. */
  list(): JsonField[] {
    if (!this.present) return [];
    if (!Array.isArray(this.value)) throw this.error(`must be a list, found ${typeName(this.value)}`);
    return this.value.map((v, i) => new JsonField(v, [...this.path, i]));
  }

  string(): string {
    const s = this.optionalString();
    if (s === undefined) throw this.error('is missing');
    if (s === '') throw this.error('must not be empty');
    return s;
  }

  optionalString(): string | undefined {
    if (!this.present) return undefined;
    if (typeof this.value !== 'string') throw this.error(`must be a string, found ${typeName(this.value)}`);
    return this.value;
  }

  /** False when absent. */
  flag(): boolean {
    if (!this.present) return false;
    if (typeof this.value !== 'boolean') throw this.error(`must be true or false, found ${typeName(this.value)}`);
    return this.value;
  }

  optionalInteger(): number | undefined {
    if (!this.present) return undefined;
    if (!Number.isInteger(this.value)) throw this.error(`must be an integer, found ${typeName(this.value)}`);
    return this.value as number;
  }

  /** A map of strings (labels, selectors); empty when absent. */
  stringMap(): Record<string, string> {
    if (!this.present) return {};
    if (!isObject(this.value)) throw this.error(`must be an object, found ${typeName(this.value)}`);
    const out: Record<string, string> = {};
    for (const key of Object.keys(this.value)) {
      const field = this.field(key);
      if (typeof field.value !== 'string') throw field.error(`must be a string, found ${typeName(field.value)}`);
      out[key] = field.value;
    }
    return out;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}
