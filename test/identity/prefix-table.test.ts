import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/net/cidr.js';
import { parseAddress } from '../../src/net/ip-address.js';
import { PrefixTable } from '../../src/identity/prefix-table.js';

function table(blocks: readonly string[]): PrefixTable<string> {
  const t = new PrefixTable<string>();
  for (const text of blocks) {
    const parsed = parseCidr(text);
    if (!parsed.ok) throw new Error(parsed.error);
    t.add(parsed.value.network, parsed.value.mappedPrefix, text);
  }
  return t;
}

const lookup = (t: PrefixTable<string>, address: string): string[] => t.lookup(parseAddress(address)!);

describe('PrefixTable', () => {
  it('returns every containing block, longest prefix first, ties in insertion order', () => {
    const t = table(['10.0.0.0/8', '10.1.2.3', '10.1.0.0/16', '0.0.0.0/0', '10.1.2.0/24', '10.1.2.3/32']);
    expect(lookup(t, '10.1.2.3')).toEqual(['10.1.2.3', '10.1.2.3/32', '10.1.2.0/24', '10.1.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    expect(lookup(t, '10.1.9.9')).toEqual(['10.1.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    expect(lookup(t, '192.0.2.1')).toEqual(['0.0.0.0/0']);
  });

  it('keeps the families apart, except ::/0 which holds the mapped IPv4 space too', () => {
    const t = table(['fd00::/8', 'fd00:10:244:1::/64', 'fd00:10:244:1::7', '0.0.0.0/0', '::/0']);
    expect(lookup(t, 'fd00:10:244:1::7')).toEqual(['fd00:10:244:1::7', 'fd00:10:244:1::/64', 'fd00::/8', '::/0']);
    expect(lookup(t, 'fd00:10:244:2::7')).toEqual(['fd00::/8', '::/0']);
    expect(lookup(t, '10.0.0.1')).toEqual(['0.0.0.0/0', '::/0']);
    expect(lookup(t, '2001:db8::1')).toEqual(['::/0']);
  });

  it('handles prefixes that end inside a word', () => {
    const t = table(['172.16.0.0/12', '100.64.0.0/10', 'fe80::/10', '2001:db8:8000::/33']);
    expect(lookup(t, '172.31.255.255')).toEqual(['172.16.0.0/12']);
    expect(lookup(t, '172.32.0.0')).toEqual([]);
    expect(lookup(t, '100.127.1.1')).toEqual(['100.64.0.0/10']);
    expect(lookup(t, 'febf:ffff::1')).toEqual(['fe80::/10']);
    expect(lookup(t, '2001:db8:ffff::1')).toEqual(['2001:db8:8000::/33']);
    expect(lookup(t, '2001:db8:7fff::1')).toEqual([]);
  });
});
