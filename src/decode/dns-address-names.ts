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
 *
 * Answer sections are short, so plain scans over them beat building maps.
 */
export function addressNames(question: DnsQuestion | undefined, answers: readonly DnsAnswer[]): DnsAddressNames[] {
  const out: DnsAddressNames[] = [];
  if (question === undefined || answers.length === 0) return out;
  const owners = answers.map((a) => a.name.toLowerCase());
  // The chain, with the least TTL from the question down to each name. Each step adds a new
  // name, and there are at most as many steps as answers.
  const chain = [question.name.toLowerCase()];
  const ttls = [MAX_TTL];
  for (let step = 0; step < answers.length; step++) {
    const current = chain[chain.length - 1];
    const i = answers.findIndex((a, k) => a.target !== undefined && owners[k] === current);
    if (i < 0) break;
    const target = answers[i].target!.toLowerCase();
    if (chain.includes(target)) break;
    ttls.push(Math.min(ttls[ttls.length - 1], clampTtl(answers[i].ttl)));
    chain.push(target);
  }
  // Addresses at the same place in the chain share its (read-only) list of names.
  const prefixes: string[][] = [];
  for (let k = 0; k < answers.length; k++) {
    const a = answers[k];
    if (a.address === undefined) continue;
    const at = chain.indexOf(owners[k]);
    if (at < 0) continue;
    const ttl = Math.min(ttls[at], clampTtl(a.ttl));
    const seen = out.findIndex((o) => o.address === a.address);
    if (seen < 0) out.push({ address: a.address, names: (prefixes[at] ??= chain.slice(0, at + 1)), ttl });
    else if (ttl > out[seen].ttl) out[seen] = { ...out[seen], ttl };
  }
  return out;
}

function clampTtl(ttl: number): number {
  return ttl > MAX_TTL ? 0 : ttl;
}
