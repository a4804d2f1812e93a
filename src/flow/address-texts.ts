import { formatAddress, isIpv4Mapped } from '../decode/ip-address.js';

/** IPv4 texts kept before the map starts over (a few MB at most). */
const LIMIT = 1 << 16;

/**
 * The text of flow addresses, one string per IPv4 address for as long as it stays in the map.
 * Flows repeat their endpoints far more than they add new ones, and the stages after the table
 * look addresses up in maps by text: a string made once is flattened and hashed once (V8 keeps
 * both), where a fresh concatenation per flow was flattened and hashed again at every lookup.
 */
export class AddressTexts {
  private readonly v4 = new Map<number, string>();

  text(words: Int32Array, at: number): string {
    if (!isIpv4Mapped(words, at)) return formatAddress(words, at);
    const key = words[at + 3];
    let text = this.v4.get(key);
    if (text === undefined) {
      if (this.v4.size >= LIMIT) this.v4.clear();
      text = formatAddress(words, at);
      this.v4.set(key, text);
    }
    return text;
  }
}
