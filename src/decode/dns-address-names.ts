import type { DnsAnswer, DnsQuestion } from './dns-message.js';

/** One address a response gave for the queried name, with every name that leads to it. */
export interface DnsAddressNames {
  readonly address: string;
  /** The queried name, then each CNAME target down to the address record's owner; lower case. */
  readonly names: readonly string[];
  /**
   * Seconds the mapping may be trusted: the least TTL along the chain and on the address record
   * (TTLs with the top bit set count as 0, RFC 2181 section 8).
   */
  readonly ttl: number;
}

const MAX_TTL = 0x7fffffff;

/**
 * Follows the CNAME chain from the question's name through the answers and maps each A and AAAA
 * address found on it to the names of the chain. Records off the chain (not reachable from the
 * question) are left out: a response cannot name an address it was not asked about. A chain that
 * loops stops at the first repeated name. Names compare case-insensitively (RFC 4343).
 */
export function addressNames(question: DnsQuestion | undefined, answers: readonly DnsAnswer[]): DnsAddressNames[] {
  if (question === undefined) return [];
  const cnames = new Map<string, DnsAnswer>();
  for (const a of answers) {
    const owner = a.name.toLowerCase();
    if (a.target !== undefined && !cnames.has(owner)) cnames.set(owner, a);
  }
  // The chain, with the least TTL from the question down to each name.
  const chain: string[] = [question.name.toLowerCase()];
  const ttlTo = new Map<string, number>([[chain[0], MAX_TTL]]);
  for (;;) {
    const current = chain[chain.length - 1];
    const cname = cnames.get(current);
    if (cname === undefined || cname.target === undefined) break;
    const target = cname.target.toLowerCase();
    if (ttlTo.has(target)) break;
    ttlTo.set(target, Math.min(ttlTo.get(current) ?? MAX_TTL, clampTtl(cname.ttl)));
    chain.push(target);
  }
  const byAddress = new Map<string, { names: string[]; ttl: number }>();
  for (const a of answers) {
    if (a.address === undefined) continue;
    const owner = a.name.toLowerCase();
    const upTo = ttlTo.get(owner);
    if (upTo === undefined) continue;
    const names = chain.slice(0, chain.indexOf(owner) + 1);
    const ttl = Math.min(upTo, clampTtl(a.ttl));
    const seen = byAddress.get(a.address);
    if (seen === undefined) byAddress.set(a.address, { names, ttl });
    else seen.ttl = Math.max(seen.ttl, ttl);
  }
  return [...byAddress].map(([address, { names, ttl }]) => ({ address, names, ttl }));
}

function clampTtl(ttl: number): number {
  return ttl > MAX_TTL ? 0 : ttl;
}
