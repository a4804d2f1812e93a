/** A JSON document's flows in parts: the same text as one string, the records made part by part. */
import { describe, expect, it } from 'vitest';
import { RECORDS_PER_PART, withFlows } from '../../src/export/with-flows.js';

const HEAD = JSON.stringify({ run: { captures: [] } }, null, 2);

describe('withFlows', () => {
  it('joins to the document with the flows as its last member, one record a line', () => {
    const text = [...withFlows(HEAD, [1, 2], (n) => `{"id":${n}}`)].join('');
    expect(text).toBe('{\n  "run": {\n    "captures": []\n  },\n  "flows": [\n    {"id":1},\n    {"id":2}\n  ]\n}\n');
    expect([...withFlows('{}', [], String)].join('')).toBe('{\n  "flows": []\n}\n');
  });

  it(`makes ${RECORDS_PER_PART} records a part, each part's only when it is asked for`, () => {
    const ids = Array.from({ length: 2 * RECORDS_PER_PART + 76 }, (_, i) => i);
    let made = 0;
    const parts = withFlows(HEAD, ids, (n) => {
      made++;
      return `{"id":${n}}`;
    });
    const taken = [parts.next().value, parts.next().value];
    expect(made).toBe(RECORDS_PER_PART);
    const rest = [...parts];
    expect(made).toBe(ids.length);
    // The head, three parts of records, the end.
    expect(rest).toHaveLength(3);
    expect((JSON.parse([...taken, ...rest].join('')) as { flows: { id: number }[] }).flows.map((f) => f.id)).toEqual(ids);
  });
});
