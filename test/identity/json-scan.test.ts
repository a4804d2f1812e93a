import { describe, expect, it } from 'vitest';
import { jsonPathOffset, jsonSyntaxError, lineColumn } from '../../src/identity/json-scan.js';

const at = (text: string, offset: number): string => {
  const { line, column } = lineColumn(text, offset);
  return `${line}:${column}`;
};

describe('jsonSyntaxError', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{}', ' [ ] ', '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}}', '"s"', '0']) expect(jsonSyntaxError(text), text).toBeNull();
  });

  it.each([
    ['{"a":}', '1:6', "expected a value, found '}'"],
    ['[1,]', '1:4', "expected a value, found ']'"],
    ['{\n  "a": 1\n  "b": 2\n}', '3:3', `expected ',' or '}', found '"'`],
    ['{"a" 1}', '1:6', "expected ':' after a key, found '1'"],
    ["{'a': 1}", '1:2', "expected a string, found '''"],
    ['{"a": tru}', '1:7', "expected a value, found 't'"],
    ['{"a": 1} x', '1:10', "expected the end of the text after the value, found 'x'"],
    ['', '1:1', 'expected a value, found the end of the text'],
    ['{"items": [', '1:12', 'expected a value, found the end of the text'],
    ['{"a": "b\nc"}', '1:9', 'control character in a string: escape it'],
    ['{"a": "\\x"}', '1:8', 'invalid escape in a string'],
    ['{"a": "open', '1:7', 'unterminated string'],
    ['[01]', '1:3', "expected ',' or ']', found '1'"],
  ])('%j -> %s %s', (text, position, message) => {
    expect(() => JSON.parse(text)).toThrow();
    const error = jsonSyntaxError(text);
    expect(error?.message).toBe(message);
    expect(at(text, error!.offset)).toBe(position);
  });
});

describe('jsonPathOffset', () => {
  const text = '{\n  "items": [\n    {"kind": "Pod", "status": {"podIP": "x"}},\n    {"kind": "Service"}\n  ],\n  "kind": "List"\n}';

  it('finds the value at a path', () => {
    expect(at(text, jsonPathOffset(text, []))).toBe('1:1');
    expect(at(text, jsonPathOffset(text, ['items']))).toBe('2:12');
    expect(at(text, jsonPathOffset(text, ['items', 1]))).toBe('4:5');
    expect(at(text, jsonPathOffset(text, ['items', 0, 'status', 'podIP']))).toBe('3:41');
    expect(at(text, jsonPathOffset(text, ['kind']))).toBe('6:11');
  });

  it('falls back to the nearest ancestor that exists', () => {
    expect(at(text, jsonPathOffset(text, ['items', 1, 'metadata', 'name']))).toBe('4:5');
    expect(at(text, jsonPathOffset(text, ['items', 7]))).toBe('2:12');
    expect(at(text, jsonPathOffset(text, ['items', 0, 'kind', 'x']))).toBe('3:14');
  });
});
