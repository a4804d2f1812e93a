import { isMap, isScalar, type Document, type Node } from 'yaml';
import { parseYaml, plainValue } from '../yaml-parse.js';
import { MatrixError, MatrixErrors } from './matrix-error.js';

/** A path into the parsed document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** One parsed rules file: its plain value, and where each of its nodes sits in the text. */
export interface RulesDocument {
  readonly file: string;
  /** Name the file is shown under in errors. */
  readonly shownAs: string;
  readonly value: unknown;
  /** 1-based line and column of the node at `path`, or of its nearest existing parent. */
  position(path: YamlPath): { line: number; column: number };
  /** Line and column of the key `key` of the map at `path` (for unknown or misnamed keys). */
  keyPosition(path: YamlPath, key: string): { line: number; column: number };
  error(path: YamlPath, message: string): MatrixError;
  keyError(path: YamlPath, key: string, message: string): MatrixError;
}

/**
 * Parses YAML text, keeping positions. Syntax errors and duplicate keys, all of them, and bad
 * aliases (src/yaml-parse.ts) are thrown as MatrixErrors.
 */
export function parseRulesYaml(text: string, file: string, shownAs: string): RulesDocument {
  const yaml = parseYaml(text, shownAs, MatrixError, (errors) => new MatrixErrors(errors as MatrixError[]));
  const doc = yaml.doc;
  const value = plainValue(yaml);
  const position = (path: YamlPath): { line: number; column: number } => {
    const node = nearestNode(doc, path);
    return yaml.position(node?.range?.[0] ?? 0);
  };
  const keyPosition = (path: YamlPath, key: string): { line: number; column: number } => {
    const parent = doc.getIn(path, true);
    if (isMap(parent)) {
      for (const pair of parent.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return yaml.position(pair.key.range[0]);
      }
    }
    return position(path);
  };
  return {
    file,
    shownAs,
    value,
    position,
    keyPosition,
    error(path, message) {
      const p = position(path);
      return new MatrixError(shownAs, p.line, p.column, message);
    },
    keyError(path, key, message) {
      const p = keyPosition(path, key);
      return new MatrixError(shownAs, p.line, p.column, message);
    },
  };
}

/** A parsed YAML map (not a list, scalar or null). */
export function isPlainMap(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nearestNode(doc: Document, path: YamlPath): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node !== undefined && node !== null && typeof node === 'object' && 'range' in node) return node as Node;
  }
  return undefined;
}

