import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, isIpv4Mapped, parseAddress, parseAddressInto } from '../../src/net/ip-address.js';

const words = (...w: number[]): Uint32Array => Uint32Array.from(w);

describe('formatAddress', () => {
  it.each([
    [words(0, 0, 0xffff, 0xc0000201), '192.0.2.1'],
    [words(0, 0, 0xffff, 0), '0.0.0.0'],
    [words(0, 0, 0, 0), '::'],
    [words(0, 0, 0, 1), '::1'],
    [words(0x20010db8, 0, 0, 1), '2001:db8::1'],
    [words(0x20010db8, 0, 1, 0), '2001:db8::1:0:0'],
    // RFC 5952: a lone zero group is not compressed, and of two equal runs the first is.
    [words(0x20010db8, 0x00000001, 0x00010001, 0x00010001), '2001:db8:0:1:1:1:1:1'],
    [words(0x20010000, 0x00010000, 0x00000001, 0x00000000), '2001:0:1::1:0:0'],
    [words(0x20010db8, 0, 0x00010000, 0), '2001:db8:0:0:1::'],
    [words(0xfe800000, 0, 0x021122ff, 0xfe334455), 'fe80::211:22ff:fe33:4455'],
  ])('writes %s as %s', (w, text) => {
    expect(formatAddress(w)).toBe(text);
  });

  it('reads the signed 32-bit patterns decoded packets hold the same as unsigned words', () => {
    expect(formatAddress(Int32Array.from([0, 0, 0xffff, 0xcb0071c8 | 0]))).toBe('203.0.113.200');
    expect(formatAddress(Int32Array.from([0xfe800000 | 0, 0, 0, 0xffffffff | 0]))).toBe('fe80::ffff:ffff');
  });

  it('reads words at an offset', () => {
    expect(formatAddress(words(9, 9, 0, 0, 0xffff, 0x0a000001), 2)).toBe('10.0.0.1');
  });
});

describe('parseAddress', () => {
  it.each([
    ['10.1.2.3', words(0, 0, 0xffff, 0x0a010203)],
    ['::ffff:10.1.2.3', words(0, 0, 0xffff, 0x0a010203)],
    ['::', words(0, 0, 0, 0)],
    ['2001:DB8::1', words(0x20010db8, 0, 0, 1)],
    ['1:2:3:4:5:6:7:8', words(0x00010002, 0x00030004, 0x00050006, 0x00070008)],
    ['1::2:3:4:5:6:7', words(0x00010000, 0x00020003, 0x00040005, 0x00060007)],
  ])('reads %s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });

  it.each(['', '1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'g::1', '::1.2.3', '1:2:3:4:5:6:7::8:9'])(
    'rejects %j',
    (text) => {
      expect(parseAddress(text)).toBeNull();
    },
  );

  it('reads back whatever formatAddress writes', () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    // Zero-heavy words make the compression cases common.
    const sparse = fc.oneof(word, fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.tuple(sparse, sparse, fc.oneof(sparse, fc.constant(0xffff)), sparse), (w) => {
        const text = formatAddress(w);
        expect(parseAddress(text)).toEqual(Uint32Array.from(w));
        expect(text.includes('.')).toBe(isIpv4Mapped(w));
      }),
      { numRuns: 500 },
    );
  });

  it('parseAddressInto fills words a caller reuses: an IPv4 address after an IPv6 one clears its high words', () => {
    const words = new Uint32Array(4);
    expect(parseAddressInto('2001:db8::1', words)).toBe(true);
    expect(words).toEqual(Uint32Array.from([0x20010db8, 0, 0, 1]));
    expect(parseAddressInto('10.0.0.1', words)).toBe(true);
    expect(words).toEqual(Uint32Array.from([0, 0, 0xffff, 0x0a000001]));
    expect(parseAddressInto('10.0.0', words)).toBe(false);
  });
});
