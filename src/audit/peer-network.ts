import { formatAddress, isIpv4Mapped, parseAddress } from '../net/ip-address.js';

/**
 * The network an unknown address is reported under: its /24 (IPv4) or /64 (IPv6), the blocks a
 * provider or a site hands out together, so a capture's thousands of external peers read as
 * their networks, not one finding per address. Text that is not an address is returned as is.
 */
export function peerNetwork(address: string): string {
  const words = parseAddress(address);
  if (words === null) return address;
  if (isIpv4Mapped(words)) {
    words[3] &= 0xffffff00;
    return `${formatAddress(words)}/24`;
  }
  words[2] = 0;
  words[3] = 0;
  return `${formatAddress(words)}/64`;
}
