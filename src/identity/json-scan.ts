/**
 * Positions in JSON text, for one-line errors about kubectl snapshots. Snapshots are parsed with
 * the fast native JSON.parse; only when something is wrong is the text scanned again here, to
 * find where: JSON.parse's messages often carry no position at all ("Unexpected token '}'").
 */

/** A key (object member) or index (array element) on the way from the root to a value. */
export type JsonPath = readonly (string | number)[];

class ScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const WHITESPACE = /[ \t\n\r]*/y;
const ESCAPE = /["\\/bfnrt]|u[0-9a-fA-F]{4}/y;
/** Deepest nesting a snapshot may have; Kubernetes objects nest under 30 levels. */
export const MAX_JSON_DEPTH = 1000;

class Scanner {
  pos = 0;

  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  /** The next non-blank character, not consumed ('' at the end). */
  peek(): string {
    this.skipWhitespace();
    return this.text.charAt(this.pos);
  }

  expect(char: string, what: string): void {
    if (this.peek() !== char) this.fail(`expected ${what}`);
    this.pos++;
  }

  fail(expected: string): never {
    const found = this.pos >= this.text.length ? 'the end of the text' : `'${this.text.charAt(this.pos)}'`;
    throw new ScanError(this.pos, `${expected}, found ${found}`);
  }

  /** Reads a string token and returns its value. */
  string(): string {
    if (this.peek() !== '"') this.fail('expected a string');
    const start = this.pos++;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c)) throw new ScanError(start, 'unterminated string');
      if (c < 0x20) throw new ScanError(this.pos, 'control character in a string: escape it');
      this.pos++;
      if (c === 0x22) break;
      if (c === 0x5c) {
        ESCAPE.lastIndex = this.pos;
        if (!ESCAPE.test(this.text)) throw new ScanError(this.pos - 1, 'invalid escape in a string');
        this.pos = ESCAPE.lastIndex;
      }
    }
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  /**
   * Steps over one value, checking its syntax. Iterative, with the open containers' closing
   * brackets on a stack: nesting cannot overflow the call stack.
   */
  skipValue(): void {
    const closers: string[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        this.pos++;
        if (this.peek() !== close) {
          closers.push(close);
          if (close === '}') this.memberKey();
          continue;
        }
        this.pos++;
      } else if (c === '"') {
        this.string();
      } else if (!this.token(NUMBER) && !this.token(LITERAL)) {
        this.fail('expected a value');
      }
      // A value ended: close the containers it ends, up to one that has another member.
      for (;;) {
        const close = closers.at(-1);
        if (close === undefined) return;
        if (this.separator(close)) {
          if (close === '}') this.memberKey();
          break;
        }
        closers.pop();
      }
    }
  }

  /** An object member's key and its colon. */
  memberKey(): void {
    this.string();
    this.expect(':', "':' after a key");
  }

  /** After a member or element: true for ',' (another follows), false for the closing bracket. */
  separator(close: string): boolean {
    const c = this.peek();
    this.pos++;
    if (c === ',') return true;
    if (c === close) return false;
    this.pos--;
    return this.fail(`expected ',' or '${close}'`);
  }

  private token(pattern: RegExp): boolean {
    pattern.lastIndex = this.pos;
    if (!pattern.test(this.text)) return false;
    this.pos = pattern.lastIndex;
    return true;
  }
}

/**
 * Offset of the first bracket nested deeper than MAX_JSON_DEPTH, or -1. Run before JSON.parse,
 * whose own stack for a megabyte of `[` takes more memory than the text: one pass over the
 * characters, strings skipped (about 0.1 s for a 100 MB snapshot).
 */
export function jsonTooDeepAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** Where and why `text` is not JSON, or null when it is. */
export function jsonSyntaxError(text: string): { offset: number; message: string } | null {
  const scanner = new Scanner(text);
  try {
    scanner.skipValue();
    if (scanner.peek() !== '') scanner.fail('expected the end of the text after the value');
    return null;
  } catch (err) {
    if (err instanceof ScanError) return { offset: err.offset, message: err.message };
    throw err;
  }
}

/** Offset of the value at `path` in valid JSON text, or of its nearest ancestor that exists. */
export function jsonPathOffset(text: string, path: JsonPath): number {
  const scanner = new Scanner(text);
  scanner.skipWhitespace();
  let found = scanner.pos;
  for (const step of path) {
    const open = scanner.peek();
    if (open !== (typeof step === 'string' ? '{' : '[')) return found;
    scanner.pos++;
    if (!enterChild(scanner, step, open === '{' ? '}' : ']')) return found;
    found = scanner.pos;
  }
  return found;
}

/** Moves into the member `step` (or element number `step`) of the container just opened. */
function enterChild(scanner: Scanner, step: string | number, close: string): boolean {
  if (scanner.peek() === close) return false;
  for (let index = 0; ; index++) {
    if (typeof step === 'string') {
      const key = scanner.string();
      scanner.expect(':', "':' after a key");
      if (key === step) return scanner.peek() !== '';
    } else if (index === step) {
      return scanner.peek() !== '';
    }
    scanner.skipValue();
    if (!scanner.separator(close)) return false;
  }
}

/** 1-based line and column of an offset (columns in UTF-16 units, as editors using JS count). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
