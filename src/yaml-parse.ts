import { Lexer, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Alias, type Document, type Node } from 'yaml';
import { SourcePositionError, cut, excerpt } from './source-position-error.js';

/** Deepest nesting of maps and lists a YAML input may have; rules, inventories and web configs nest under 10. */
export const MAX_YAML_DEPTH = 64;
/**
 * Aliases may expand a document to at most this many values (each scalar, map and list counts
 * one), or to ten times the values it writes when that is more. An alias bomb ("billion laughs")
 * grows exponentially and is refused at the alias that crosses the bound; real files that share a
 * label map among thousands of entries stay far below it.
 */
export const ALIAS_EXPANSION_VALUES = 100_000;
const ALIAS_EXPANSION_FACTOR = 10;

/** The class an input's errors are thrown as (SourcePositionError, or a subclass such as MatrixError). */
export type PositionErrorClass = new (file: string, line: number, column: number, detail: string) => SourcePositionError;
/** Several syntax errors as one thrown error (`rules validate` reports each); by default the first is thrown. */
export type SeveralErrors = (errors: SourcePositionError[]) => Error;

/** A YAML document whose aliases are checked: each has an anchor before it, none contains itself, their expansion is bounded. */
export interface YamlText {
  readonly doc: Document;
  /** The top node, or null for an empty document. */
  readonly root: Node | null;
  /** The node an alias stands for. */
  target(alias: Alias): Node;
  /** 1-based line and column of a text offset. */
  position(offset: number): { line: number; column: number };
  /** An error at a node (at the start of the text for null), of the class the parse was given. */
  error(node: Node | null, message: string): SourcePositionError;
}

/**
 * Parses YAML text with the core schema and no merge keys (`<<` is a plain key), checking what the
 * yaml package leaves to its consumers: aliases without an anchor, aliases inside their own
 * anchor's value, alias expansion and nesting depth. Throws `errorClass` at the offending place
 * (every syntax error through `several`, when given); messages quote at most a short excerpt of the text.
 */
export function parseYaml(text: string, file: string, errorClass: PositionErrorClass = SourcePositionError, several?: SeveralErrors): YamlText {
  const lineCounter = new LineCounter();
  const tooDeep = flowTooDeepAt(text);
  if (tooDeep >= 0) {
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < tooDeep; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    const { line, col } = lineCounter.linePos(tooDeep);
    throw new errorClass(file, line, col, `nesting deeper than ${MAX_YAML_DEPTH} levels`);
  }
  const doc = parseDocument(text, { lineCounter, schema: 'core', merge: false, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const fail = (offset: number, message: string): never => {
    const { line, column } = position(offset);
    throw new errorClass(file, line, column, message);
  };
  const syntax = doc.errors.map((e) => {
    const { line, column } = position(e.pos[0]);
    return new errorClass(file, line, column, syntaxMessage(text, e.code, e.pos[0], e.message));
  });
  if (syntax.length > 0) throw several === undefined ? syntax[0] : several(syntax);
  const root = (doc.contents as Node | null) ?? null;
  const targets = new AliasChecker(fail).check(root);
  const error = (node: Node | null, message: string): SourcePositionError => {
    const { line, column } = position(node?.range?.[0] ?? 0);
    return new errorClass(file, line, column, message);
  };
  return { doc, root, target: (alias) => targets.get(alias)!, position, error };
}

/**
 * Offset of the first flow bracket (`[`, `{`) nested deeper than MAX_YAML_DEPTH, or -1, from the
 * yaml package's lexer, which is cheap: its parser holds far more than the text for deep flow
 * nesting (50,000 brackets, 100 KB, exhausted a 64 MB heap). Block nesting needs indentation
 * growing with depth, so a file within its size limit cannot nest deep enough to matter.
 */
function flowTooDeepAt(text: string): number {
  let offset = 0;
  let depth = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    // Marker tokens the lexer adds (and the parser does not count as text): a scalar follows,
    // a document starts, a flow collection was cut short.
    if (token === '\x1f' && !scalarNext) {
      scalarNext = true;
      continue;
    }
    if (!scalarNext && (token === '\x02' || token === '\x18')) {
      if (token === '\x18') depth = 0;
      continue;
    }
    if (!scalarNext && (token === '[' || token === '{') && ++depth > MAX_YAML_DEPTH) return offset;
    if (!scalarNext && (token === ']' || token === '}')) depth = Math.max(0, depth - 1);
    scalarNext = false;
    offset += token.length;
  }
  return -1;
}

function syntaxMessage(text: string, code: string, offset: number, message: string): string {
  if (code === 'DUPLICATE_KEY') return `duplicate key ${excerpt(keyTextAt(text, offset))}: a key may appear only once in a map`;
  // The yaml package reports a stack overflow while composing deep nesting this way.
  if (code === 'RESOURCE_EXHAUSTION') return `YAML: nesting deeper than ${MAX_YAML_DEPTH} levels`;
  return `YAML: ${firstSentence(message)}`;
}

/** The plain or quoted key that starts at `offset`. */
function keyTextAt(text: string, offset: number): string {
  const m = /^(?:"([^"]*)"|'([^']*)'|([^:\n]*?))\s*:/.exec(text.slice(offset, offset + 1024));
  return m === null ? text.slice(offset, offset + 1024).split('\n')[0] : (m[1] ?? m[2] ?? m[3]);
}

/**
 * The yaml package's messages carry their own position and context lines: keep the first line,
 * and cut what it quotes of the text (an unknown tag or directive) to an excerpt.
 */
function firstSentence(message: string): string {
  const line = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return line.length <= 80 ? line : `${line.slice(0, 80)}...`;
}

/**
 * Walks a document in text order, as YAML defines anchors: an alias names the last anchor of that
 * name before it. A first pass counts the written values and bounds the depth, so neither walk's
 * stack grows past MAX_YAML_DEPTH frames.
 */
class AliasChecker {
  private readonly anchors = new Map<string, Node>();
  private readonly targets = new Map<Alias, Node>();
  /** Values each anchored node stands for, its aliases expanded. */
  private readonly sizes = new Map<Node, number>();
  private readonly open = new Set<Node>();
  private values = 0;
  /** The most values aliases may expand the document to. */
  private bound = 0;

  constructor(private readonly fail: (offset: number, message: string) => never) {}

  check(root: Node | null): ReadonlyMap<Alias, Node> {
    this.bound = Math.max(ALIAS_EXPANSION_VALUES, ALIAS_EXPANSION_FACTOR * this.count(root, 1));
    this.walk(root, 1);
    return this.targets;
  }

  /** Values the document writes (aliases count one); fails past MAX_YAML_DEPTH before recursing deeper. */
  private count(node: unknown, depth: number): number {
    if (!isMap(node) && !isSeq(node)) return 1;
    if (depth > MAX_YAML_DEPTH) this.fail(node.range?.[0] ?? 0, `nesting deeper than ${MAX_YAML_DEPTH} levels`);
    let n = 1;
    for (const item of node.items) {
      if (isMap(node)) {
        const pair = item as { key: unknown; value: unknown };
        n += this.count(pair.key, depth + 1) + this.count(pair.value, depth + 1);
      } else {
        n += this.count(item, depth + 1);
      }
    }
    return n;
  }

  private walk(node: unknown, depth: number): void {
    if (node === null || node === undefined) return;
    if (isAlias(node)) {
      this.alias(node);
      return;
    }
    const n = node as Node;
    const start = this.values;
    this.values++;
    if (n.anchor !== undefined) this.anchors.set(n.anchor, n);
    if (isMap(n) || isSeq(n)) {
      this.open.add(n);
      for (const item of n.items) {
        if (isMap(n)) {
          const pair = item as { key: unknown; value: unknown };
          this.walk(pair.key, depth + 1);
          this.walk(pair.value, depth + 1);
        } else {
          this.walk(item, depth + 1);
        }
      }
      this.open.delete(n);
    } else if (!isScalar(n)) {
      this.fail(n.range?.[0] ?? 0, 'YAML: unsupported node');
    }
    if (n.anchor !== undefined) this.sizes.set(n, this.values - start);
  }

  private alias(alias: Alias): void {
    const at = alias.range?.[0] ?? 0;
    const target = this.anchors.get(alias.source);
    const name = cut(alias.source);
    if (target === undefined) this.fail(at, `alias *${name} has no anchor &${name} before it`);
    if (this.open.has(target)) this.fail(at, `alias *${name} is inside the value it names (a cycle)`);
    this.targets.set(alias, target);
    this.values += this.sizes.get(target)!;
    if (this.values > this.bound) this.fail(at, `aliases expand the document to more than ${this.bound} values (an alias bomb?)`);
  }
}

/**
 * The plain value of a checked document (maps as objects, lists as arrays), each alias sharing the
 * value of its anchor rather than copying it. The yaml package's toJS resolves each alias by
 * scanning every anchor before it, quadratic in a file of many aliases (80,000 took 183 s).
 */
export function plainValue(yaml: YamlText): unknown {
  const built = new Map<Node, unknown>();
  const build = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return built.get(yaml.target(node));
    const n = node as Node;
    let value: unknown;
    if (isScalar(n)) value = n.value;
    else if (isSeq(n)) value = n.items.map(build);
    else if (isMap(n)) {
      const object: Record<string, unknown> = {};
      for (const { key, value: item } of n.items) {
        const k = isAlias(key) ? yaml.target(key) : (key as Node | null);
        if (k !== null && !isScalar(k)) throw yaml.error(k, 'a key must be a plain value, not a map or a list');
        // defineProperty: a key "__proto__" is data, not the object's prototype.
        Object.defineProperty(object, String(k?.value ?? ''), { value: build(item), enumerable: true, writable: true, configurable: true });
      }
      value = object;
    }
    if (n.anchor !== undefined) built.set(n, value);
    return value;
  };
  return build(yaml.root);
}
