/** BytesInterner: values made once per distinct byte string, handed out again, never mixed up. */
import { describe, expect, it } from 'vitest';
import { BytesInterner } from '../../src/decode/bytes-interner.js';

let decodes = 0;
function decodeList(buf: Buffer, start: number, end: number): number[] {
  decodes++;
  return [...buf.subarray(start, end)];
}

describe('BytesInterner', () => {
  it('returns the same frozen value for the same bytes, wherever they lie, and decodes them once', () => {
    const interner = new BytesInterner(decodeList);
    decodes = 0;
    const a = interner.get(Buffer.from([9, 1, 2, 3, 9]), 1, 4);
    const b = interner.get(Buffer.from([1, 2, 3]), 0, 3);
    expect(b).toBe(a);
    expect(a).toEqual([1, 2, 3]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(decodes).toBe(1);
  });

  it('tells apart byte strings that differ in a byte, in length, or only in order', () => {
    const interner = new BytesInterner(decodeList);
    const inputs = [[1, 2, 3], [1, 2, 4], [1, 2], [1, 2, 3, 0], [3, 2, 1], []];
    const values = inputs.map((bytes) => interner.get(Buffer.from(bytes), 0, bytes.length));
    values.forEach((value, i) => expect(value).toEqual(inputs[i]));
    inputs.forEach((bytes, i) => expect(interner.get(Buffer.from(bytes), 0, bytes.length)).toBe(values[i]));
  });

  it('stays within its capacity: when full it starts again, and values stay right', () => {
    const interner = new BytesInterner(decodeList, 4);
    decodes = 0;
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 10; n++) expect(interner.get(Buffer.from([n, n + 1]), 0, 2)).toEqual([n, n + 1]);
    }
    // Ten distinct keys through four places: most lookups after the first round decode again.
    expect(decodes).toBeGreaterThan(20);
  });

  it('interns strings as they are (only objects are frozen)', () => {
    const interner = new BytesInterner((buf, start, end) => buf.toString('latin1', start, end));
    expect(interner.get(Buffer.from('api.example.internal'), 0, 20)).toBe('api.example.internal');
  });
});
