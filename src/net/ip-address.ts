/**
 * Addresses travel as four 32-bit words (IPv4 as ::ffff:a.b.c.d). These convert to and from the
 * text forms people read and write: dotted quads and RFC 5952 compressed IPv6.
 */

export function isIpv4Mapped(words: ArrayLike<number>, at = 0): boolean {
  return words[at] === 0 && words[at + 1] === 0 && words[at + 2] === 0xffff;
}

export function formatAddress(words: ArrayLike<number>, at = 0): string {
  if (isIpv4Mapped(words, at)) {
    const v = words[at + 3];
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) groups.push(words[at + i] >>> 16, words[at + i] & 0xffff);
  // RFC 5952: compress the longest run (of two or more) of zero groups, the first if tied.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Parses IPv4 or IPv6 text into four words; returns null if it is neither. */
export function parseAddress(text: string): Uint32Array | null {
  const words = new Uint32Array(4);
  return parseAddressInto(text, words) ? words : null;
}

/**
 * parseAddress into four words the caller reuses (a typed array a call costs more than parsing a
 * dotted quad, for callers that parse once a flow); false, the words undefined, if it is neither.
 */
export function parseAddressInto(text: string, words: Uint32Array): boolean {
  if (text.includes(':')) return parseIpv6(text, words);
  const v4 = parseIpv4(text);
  if (v4 === null) return false;
  words[0] = 0;
  words[1] = 0;
  words[2] = 0xffff;
  words[3] = v4;
  return true;
}

/**
 * Dotted-quad text to a 32-bit value, or null. A character loop rather than split and regular
 * expressions: the audit parses every flow endpoint it has not seen before.
 */
function parseIpv4(text: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + part;
}

function parseIpv6(text: string, words: Uint32Array): boolean {
  let head = text;
  let tailV4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return false;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  if (left === null || right === null) return false;
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  if (tailV4 !== null) words[3] = tailV4;
  return true;
}
