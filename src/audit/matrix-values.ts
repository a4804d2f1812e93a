import { formatAddress, isIpv4Mapped, parseAddress } from '../decode/ip-address.js';
import type { Cidr, PortRange } from './matrix.js';

/** Result of parsing one written value: the value, or why it is wrong. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const MAX_PORT = 65535;

/** A port list item: `443` or `"30000-32767"` (schema-checked shape). */
export function parsePortItem(item: number | string): Parsed<PortRange> {
  if (typeof item === 'number') {
    if (!Number.isInteger(item) || item < 1 || item > MAX_PORT) return { ok: false, error: `port ${item} is out of range 1-${MAX_PORT}` };
    return { ok: true, value: { from: item, to: item } };
  }
  const m = /^(\d+)-(\d+)$/.exec(item);
  if (m === null) return { ok: false, error: `"${item}" is not a port or a range "FIRST-LAST"` };
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from < 1 || to > MAX_PORT) return { ok: false, error: `port range "${item}" is out of range 1-${MAX_PORT}` };
  if (from > to) return { ok: false, error: `port range "${item}" is reversed: ${from} is above ${to}` };
  return { ok: true, value: { from, to } };
}

/** Sorted copy; the index (into `ranges`) of the first range that overlaps one before it, or -1. */
export function sortPortRanges(ranges: readonly PortRange[]): { sorted: PortRange[]; overlapAt: number } {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].from - ranges[b].from || ranges[a].to - ranges[b].to);
  for (let k = 1; k < order.length; k++) {
    if (ranges[order[k]].from <= ranges[order[k - 1]].to) return { sorted: [], overlapAt: Math.max(order[k], order[k - 1]) };
  }
  return { sorted: order.map((i) => ranges[i]), overlapAt: -1 };
}

export function portRangesOverlap(a: readonly PortRange[], b: readonly PortRange[]): PortRange | null {
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) return { from, to };
    }
  }
  return null;
}

export function formatPortRange(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}

/** `10.0.0.0/8`, `fd00::/8`; a bare address is a host route (/32 or /128). Host bits must be zero. */
export function parseCidr(text: string): Parsed<Cidr> {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const words = parseAddress(addressText);
  if (words === null) return { ok: false, error: `"${text}" is not a CIDR: "${addressText}" is not an IPv4 or IPv6 address` };
  const family = addressText.includes(':') ? 6 : 4;
  if (family === 6 && isIpv4Mapped(words)) return { ok: false, error: `"${text}" is an IPv4-mapped address: write IPv4 blocks in dotted form` };
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > maxPrefix) {
      return { ok: false, error: `"${text}" is not a CIDR: prefix length must be 0-${maxPrefix}` };
    }
    prefix = Number(p);
  }
  const mappedPrefix = family === 4 ? prefix + 96 : prefix;
  const network: [number, number, number, number] = [words[0], words[1], words[2], words[3]];
  let hostBitsSet = false;
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, mappedPrefix - 32 * i));
    const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    if ((network[i] & ~mask) >>> 0 !== 0) hostBitsSet = true;
    network[i] = (network[i] & mask) >>> 0;
  }
  const canonical = `${formatAddress(network)}/${prefix}`;
  if (hostBitsSet) return { ok: false, error: `"${text}" has host bits set: the network is ${canonical}` };
  return { ok: true, value: { text: canonical, family, prefix, network, mappedPrefix } };
}
