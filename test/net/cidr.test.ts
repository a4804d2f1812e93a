import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr as auditParseCidr } from '../../src/audit/matrix-values.js';
import { cidrContains, isInternalAddress, parseCidr, prefixMask, type Cidr } from '../../src/net/cidr.js';
import { parseAddress } from '../../src/net/ip-address.js';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function words(text: string): Uint32Array {
  const w = parseAddress(text);
  if (w === null) throw new Error(`bad address ${text}`);
  return w;
}

describe('parseCidr', () => {
  it('normalises IPv4 and IPv6 blocks into the four-word form', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ ok: true, value: { text: '10.0.0.0/8', family: 4, prefix: 8, network: [0, 0, 0xffff, 0x0a000000], mappedPrefix: 104 } });
    expect(parseCidr('FD00:0::/8')).toEqual({ ok: true, value: { text: 'fd00::/8', family: 6, prefix: 8, network: [0xfd000000, 0, 0, 0], mappedPrefix: 8 } });
    expect(cidr('10.1.2.3')).toMatchObject({ text: '10.1.2.3/32', prefix: 32, mappedPrefix: 128 });
    expect(cidr('::/0')).toMatchObject({ text: '::/0', prefix: 0, mappedPrefix: 0 });
    expect(cidr('0.0.0.0/0')).toMatchObject({ text: '0.0.0.0/0', prefix: 0, mappedPrefix: 96 });
  });

  it('explains what is wrong', () => {
    expect(parseCidr('10.0.0.1/8')).toEqual({ ok: false, error: '"10.0.0.1/8" has host bits set: the network is 10.0.0.0/8' });
    expect(parseCidr('10.0.0.0/33')).toEqual({ ok: false, error: '"10.0.0.0/33" is not a CIDR: prefix length must be 0-32' });
    expect(parseCidr('10.0.0.0/08')).toMatchObject({ ok: false });
    expect(parseCidr('fd00::/129')).toEqual({ ok: false, error: '"fd00::/129" is not a CIDR: prefix length must be 0-128' });
    expect(parseCidr('10.0.0/8')).toEqual({ ok: false, error: '"10.0.0/8" is not a CIDR: "10.0.0" is not an IPv4 or IPv6 address' });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ ok: false, error: '"::ffff:10.0.0.0/104" is an IPv4-mapped address: write IPv4 blocks in dotted form' });
  });

  it('agrees with the audit layer parser it is meant to replace', () => {
    const samples = ['10.0.0.0/8', '10.0.0.1/8', '192.168.1.1', '0.0.0.0/0', '::/0', 'fe80::/10', 'fe80::1/10', '2001:db8::/32', '::ffff:1.2.3.4', '1.2.3.4/', 'x/1', '10.0.0.0/032', '::1/128'];
    for (const text of samples) expect(parseCidr(text), text).toEqual(auditParseCidr(text));
  });
});

describe('cidrContains', () => {
  it('tests membership across both families', () => {
    expect(cidrContains(cidr('10.4.0.0/14'), words('10.7.255.255'))).toBe(true);
    expect(cidrContains(cidr('10.4.0.0/14'), words('10.8.0.0'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), words('203.0.113.9'))).toBe(true);
    expect(cidrContains(cidr('0.0.0.0/0'), words('2001:db8::1'))).toBe(false);
    expect(cidrContains(cidr('::/0'), words('203.0.113.9'))).toBe(true);
    expect(cidrContains(cidr('fd00:10:244:1::/64'), words('fd00:10:244:1::7'))).toBe(true);
    expect(cidrContains(cidr('fd00:10:244:1::/64'), words('fd00:10:244:2::7'))).toBe(false);
    expect(cidrContains(cidr('10.0.0.7'), words('10.0.0.7'))).toBe(true);
  });

  it('reads words at an offset (a reused batch buffer)', () => {
    const buffer = new Uint32Array(8);
    buffer.set(words('172.16.5.4'), 4);
    expect(cidrContains(cidr('172.16.0.0/12'), buffer, 4)).toBe(true);
    expect(isInternalAddress(buffer, 4)).toBe(true);
  });

  it('matches a bit-by-bit reference on random blocks and addresses', () => {
    const toBig = (w: ArrayLike<number>): bigint => (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), fc.integer({ min: 0, max: 128 }), fc.tuple(word, word, word, word), (net, p, addr) => {
        const network = net.map((w, i) => (w & prefixMask(p, i)) >>> 0) as [number, number, number, number];
        const block: Cidr = { text: '', family: 6, prefix: p, network, mappedPrefix: p };
        // Half the time, make the address share the prefix so both outcomes are exercised.
        const probe = addr.map((w, i) => (addr[0] & 1 ? (network[i] | (w & ~prefixMask(p, i))) >>> 0 : w));
        const shift = BigInt(128 - p);
        expect(cidrContains(block, probe)).toBe(toBig(probe) >> shift === toBig(network) >> shift);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isInternalAddress', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['127.0.0.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['100.128.0.1', false],
    ['fc00::1', true],
    ['fd12:3456::1', true],
    ['::1', true],
    ['fe80::1', true],
    ['febf::1', true],
    ['fec0::1', false],
    ['::ffff:192.168.1.1', true],
    ['8.8.8.8', false],
    ['142.250.74.106', false],
    ['2001:4860:4860::8888', false],
    ['::', false],
  ])('%s -> %s', (address, internal) => {
    expect(isInternalAddress(words(address))).toBe(internal);
  });
});
