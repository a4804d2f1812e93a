/**
 * A strict little XML reader for the JUnit tests: elements, attributes, text and the five
 * predefined entities plus character references. Anything else (a raw `<` or `&` in text or an
 * attribute, a mismatched or unclosed tag, a duplicate attribute, content after the root) throws,
 * so a report that parses here is well-formed.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text, entities decoded. */
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(xml: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`XML offset ${at}: ${why}`);
  };
  const isNameChar = (c: string, first: boolean): boolean =>
    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':' || (!first && ((c >= '0' && c <= '9') || c === '-' || c === '.'));
  const skipSpace = (): void => {
    while (at < xml.length && ' \t\r\n'.includes(xml[at])) at++;
  };
  const name = (): string => {
    const start = at;
    if (!isNameChar(xml[at] ?? '', true)) fail('expected a name');
    while (at < xml.length && isNameChar(xml[at], false)) at++;
    return xml.slice(start, at);
  };
  const entity = (): string => {
    const end = xml.indexOf(';', at);
    if (end < 0 || end - at > 10) fail('unterminated entity');
    const ref = xml.slice(at + 1, end);
    at = end + 1;
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const text = ENTITIES[ref];
    if (text === undefined) fail(`unknown entity &${ref};`);
    return text as string;
  };
  const chars = (stop: string): string => {
    let out = '';
    while (at < xml.length && xml[at] !== stop) {
      const c = xml[at];
      if (c === '&') out += entity();
      else if (c === '<') fail('raw < in content');
      else {
        const code = c.charCodeAt(0);
        if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') fail(`control character ${code}`);
        out += c;
        at++;
      }
    }
    return out;
  };
  const element = (): XmlElement => {
    if (xml[at] !== '<') fail('expected <');
    at++;
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = at;
      skipSpace();
      if (xml.startsWith('/>', at)) {
        at += 2;
        return { name: tag, attributes, children: [], text: '' };
      }
      if (xml[at] === '>') {
        at++;
        break;
      }
      if (at === before) fail('expected whitespace before an attribute');
      const key = name();
      if (key in attributes) fail(`duplicate attribute ${key}`);
      skipSpace();
      if (xml[at] !== '=') fail('expected =');
      at++;
      skipSpace();
      const quote = xml[at];
      if (quote !== '"' && quote !== "'") fail('expected a quoted value');
      at++;
      attributes[key] = chars(quote);
      if (at >= xml.length) fail('unterminated attribute');
      at++;
    }
    const node: XmlElement = { name: tag, attributes, children: [], text: '' };
    for (;;) {
      node.text += chars('<');
      if (at >= xml.length) fail(`unclosed <${tag}>`);
      if (xml.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        if (xml[at] !== '>') fail('expected >');
        at++;
        return node;
      }
      if (xml.startsWith('<!', at) || xml.startsWith('<?', at)) fail('comments, CDATA and processing instructions are not expected');
      node.children.push(element());
    }
  };

  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    at = end + 2;
  }
  skipSpace();
  const root = element();
  skipSpace();
  if (at !== xml.length) fail('content after the root element');
  return root;
}

/** Every element named `name` under `root`, depth first. */
export function elements(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
