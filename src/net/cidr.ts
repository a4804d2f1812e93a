/**
 * CIDR blocks over the four-word address form of ip-address.ts (IPv4 as ::ffff:a.b.c.d), so one
 * containment test serves both families: an IPv4 /p is a /(p + 96) of the mapped space.
 */
import { excerpt } from '../source-position-error.js';
import { formatAddress, isIpv4Mapped, parseAddress } from './ip-address.js';

/** A CIDR block, normalised. Same shape as the audit layer's `Cidr` (src/audit/matrix.ts). */
export interface Cidr {
  /** Canonical text, e.g. `10.0.0.0/8`, `fd00::/8`. */
  readonly text: string;
  readonly family: 4 | 6;
  /** Prefix length as written (0-32 for IPv4, 0-128 for IPv6). */
  readonly prefix: number;
  /** Network address as four 32-bit words, IPv4 mapped to ::ffff:a.b.c.d, host bits zero. */
  readonly network: readonly [number, number, number, number];
  /** Prefix length over the 128-bit mapped form (IPv4 prefix + 96). */
  readonly mappedPrefix: number;
}

/** A parsed block, or why the text is not one. */
export type CidrResult = { readonly ok: true; readonly value: Cidr } | { readonly ok: false; readonly error: string };

/** The mask of word `word` (0-3) for a prefix over the 128-bit mapped form. */
export function prefixMask(mappedPrefix: number, word: number): number {
  const keep = Math.max(0, Math.min(32, mappedPrefix - 32 * word));
  // `<< 32` is `<< 0` in JavaScript, so the full word is a separate case.
  return keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
}

/** `10.0.0.0/8`, `fd00::/8`; a bare address is a host route (/32 or /128). Host bits must be zero. */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const words = parseAddress(addressText);
  if (words === null) return { ok: false, error: `${excerpt(text)} is not a CIDR: ${excerpt(addressText)} is not an IPv4 or IPv6 address` };
  const family = addressText.includes(':') ? 6 : 4;
  // An IPv4 block written as ::ffff:a.b.c.d/p would take a 0-128 prefix for a 32-bit network:
  // one spelling per block keeps prefixes comparable.
  if (family === 6 && isIpv4Mapped(words)) return { ok: false, error: `"${text}" is an IPv4-mapped address: write IPv4 blocks in dotted form` };
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > maxPrefix) {
      return { ok: false, error: `${excerpt(text)} is not a CIDR: prefix length must be 0-${maxPrefix}` };
    }
    prefix = Number(p);
  }
  const mappedPrefix = family === 4 ? prefix + 96 : prefix;
  const network: [number, number, number, number] = [0, 0, 0, 0];
  let hostBitsSet = false;
  for (let i = 0; i < 4; i++) {
    const mask = prefixMask(mappedPrefix, i);
    if ((words[i] & ~mask) >>> 0 !== 0) hostBitsSet = true;
    network[i] = (words[i] & mask) >>> 0;
  }
  const canonical = `${formatAddress(network)}/${prefix}`;
  // A block with host bits set is usually a typo for a host or a different block: say which.
  if (hostBitsSet) return { ok: false, error: `"${text}" has host bits set: the network is ${canonical}` };
  return { ok: true, value: { text: canonical, family, prefix, network, mappedPrefix } };
}

/** True when the address (four words at `at`) lies inside the block. */
export function cidrContains(cidr: Cidr, words: ArrayLike<number>, at = 0): boolean {
  for (let i = 0; i < 4; i++) {
    const mask = prefixMask(cidr.mappedPrefix, i);
    if (mask === 0) return true;
    if ((words[at + i] & mask) >>> 0 !== cidr.network[i]) return false;
  }
  return true;
}

/** Private, loopback, link-local, CGNAT and unique-local blocks (IPv4 ones in mapped form). */
const INTERNAL_BLOCKS: readonly Cidr[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  '::1/128',
  'fe80::/10',
].map((text) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
});

/** True for addresses that never belong to a peer on the internet (see INTERNAL_BLOCKS). */
export function isInternalAddress(words: ArrayLike<number>, at = 0): boolean {
  for (const block of INTERNAL_BLOCKS) if (cidrContains(block, words, at)) return true;
  return false;
}
