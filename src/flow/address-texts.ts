import { formatAddress, isIpv4Mapped } from '../net/ip-address.js';
import { GenerationalCache } from '../generational-cache.js';

/** IPv4 texts kept per generation: between this and twice this many addresses (a few MB at most). */
const GENERATION = 1 << 16;

/**
 * The text of flow addresses, one string per IPv4 address for as long as it stays in the cache.
 * Flows repeat their endpoints far more than they add new ones, and the stages after the table
 * look addresses up in maps by text: a string made once is flattened and hashed once (V8 keeps
 * both), where a fresh concatenation per flow was flattened and hashed again at every lookup.
 */
export class AddressTexts {
  private readonly v4 = new GenerationalCache<number, string>(GENERATION);

  text(words: Int32Array, at: number): string {
    if (!isIpv4Mapped(words, at)) return formatAddress(words, at);
    const key = words[at + 3];
    let text = this.v4.get(key);
    if (text === undefined) {
      text = formatAddress(words, at);
      this.v4.set(key, text);
    }
    return text;
  }
}
