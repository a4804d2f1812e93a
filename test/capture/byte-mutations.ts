import fc from 'fast-check';

/**
 * Damage done to valid bytes by the property tests: bit flips, cuts, insertions, deletions, and
 * 32-bit words overwritten with the values length checks get wrong (0, the minimums, sign bits,
 * the limits and just past them). Positions are taken modulo the length, so any mutation
 * applies to any buffer.
 */
export type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'remove'; at: number; length: number }
  | { kind: 'word'; at: number; value: number; littleEndian: boolean; aligned: boolean };

const INTERESTING_WORDS = [0, 1, 4, 11, 12, 16, 20, 28, 31, 32, 65535, 262144, 262145, 16 << 20, (16 << 20) + 4, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING_WORDS), fc.nat()), littleEndian: fc.boolean(), aligned: fc.boolean() }),
  },
);

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

export function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const m of mutations) {
    if (bytes.length === 0 && m.kind !== 'insert') continue;
    switch (m.kind) {
      case 'flip':
        bytes[m.at % bytes.length] ^= m.mask;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, m.at % bytes.length);
        break;
      case 'insert': {
        const at = m.at % (bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      }
      case 'remove': {
        const at = m.at % bytes.length;
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      }
      case 'word': {
        if (bytes.length < 4) break;
        // Aligned, it lands on pcapng's length and type fields (every block starts on 4 bytes).
        const at = m.aligned ? Math.floor((m.at % (bytes.length - 3)) / 4) * 4 : m.at % (bytes.length - 3);
        if (m.littleEndian) bytes.writeUInt32LE(m.value >>> 0, at);
        else bytes.writeUInt32BE(m.value >>> 0, at);
        break;
      }
    }
  }
  return bytes;
}
