import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { SourcePositionError, excerpt } from './source-position-error.js';
import { parseYaml, type YamlText } from './yaml-parse.js';

/**
 * A parsed YAML input (inventory, web config) that keeps its nodes, so every complaint about a value can point
 * at the value's own line and column. Helpers return the node in the expected shape or throw.
 */
export class YamlSource {
  readonly root: Node | null;
  private readonly yaml: YamlText;

  /** Parses `text`; syntax errors, duplicate keys and bad aliases (src/yaml-parse.ts) become SourcePositionErrors. */
  constructor(
    text: string,
    readonly file: string,
  ) {
    this.yaml = parseYaml(text, file);
    this.root = this.resolve(this.yaml.root);
  }

  /** `FILE:LINE` of a node, for reports that point back at an inventory entry. */
  lineOf(node: Node): string {
    return `${this.file}:${this.position(node).line}`;
  }

  error(node: Node | null | undefined, message: string): SourcePositionError {
    return this.yaml.error(node ?? null, message);
  }

  map(node: Node | null, what: string): YAMLMap {
    if (isMap(node)) return node;
    throw this.error(node, `${what} must be a map`);
  }

  seq(node: Node | null, what: string): YAMLSeq {
    if (isSeq(node)) return node;
    throw this.error(node, `${what} must be a list`);
  }

  /** A non-empty string. Numbers and booleans are refused rather than converted: `1.10` reads as 1.1. */
  string(node: Node | null, what: string): string {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return node.value;
    if (isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
      throw this.error(node, `${what} must be a string: quote it (${excerpt(String(node.source ?? node.value))})`);
    }
    throw this.error(node, `${what} must be a non-empty string`);
  }

  /** The map's pairs with string keys and alias-resolved values; unknown keys are errors. */
  pairs(map: YAMLMap, what: string, known?: readonly string[]): { key: string; keyNode: Scalar; value: Node | null }[] {
    return map.items.map((pair: Pair) => {
      const keyNode = pair.key;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') throw this.error(keyNode as Node, `${what}: keys must be strings`);
      const key = keyNode.value;
      if (known !== undefined && !known.includes(key)) {
        throw this.error(keyNode, `unknown key ${excerpt(key)} in ${what}: expected ${known.join(', ')}`);
      }
      // A key with nothing after its colon has a null scalar just after the colon, which errors point at.
      return { key, keyNode, value: this.resolve(pair.value as Node | null) };
    });
  }

  /** Items of a list, aliases resolved. */
  items(seq: YAMLSeq): (Node | null)[] {
    return seq.items.map((item) => this.resolve(item as Node | null));
  }

  private resolve(node: Node | null | undefined): Node | null {
    if (isAlias(node)) return this.yaml.target(node);
    return node ?? null;
  }

  private position(node: Node | null | undefined): { line: number; column: number } {
    return this.yaml.position(node?.range?.[0] ?? 0);
  }
}
