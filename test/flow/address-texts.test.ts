import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/net/ip-address.js';
import { AddressTexts } from '../../src/flow/address-texts.js';

/** The address as the flow table holds it: four int32 words at offset 4 of a slot-like array. */
function words(text: string): Int32Array {
  const slot = new Int32Array(8);
  slot.set(new Int32Array(parseAddress(text)!.buffer), 4);
  return slot;
}

describe('AddressTexts', () => {
  it('gives IPv4 and IPv6 texts, and the same text again for an address seen recently', () => {
    const texts = new AddressTexts();
    expect(texts.text(words('10.1.2.3'), 4)).toBe('10.1.2.3');
    expect(texts.text(words('255.255.255.254'), 4)).toBe('255.255.255.254');
    expect(texts.text(words('2001:db8::1'), 4)).toBe('2001:db8::1');
    expect(texts.text(words('10.1.2.3'), 4)).toBe('10.1.2.3');
  });

  it('stays right across generations: 200,000 distinct addresses, each asked twice', () => {
    const texts = new AddressTexts();
    const address = (i: number): string => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    const wrong: string[] = [];
    for (const step of [1, 997]) {
      for (let i = 0; i < 200_000; i += step) if (texts.text(words(address(i)), 4) !== address(i)) wrong.push(address(i));
    }
    expect(wrong).toEqual([]);
  });
});
