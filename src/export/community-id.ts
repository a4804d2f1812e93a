import { createHash } from 'node:crypto';
import { isIpv4Mapped, parseAddress } from '../decode/ip-address.js';

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 };

/**
 * Community ID v1 (https://github.com/corelight/community-id-spec), as Zeek and Suricata write
 * it, so flowaudit records join theirs: base64 SHA-1 over seed, both addresses, protocol, a pad
 * byte and both ports, the endpoints ordered so both directions hash alike. ICMP flows carry no
 * ports here and hash with zeros.
 */
export function communityId(protocol: string, aAddress: string, aPort: number, bAddress: string, bPort: number, seed = 0): string {
  const a = addressBytes(aAddress);
  const b = addressBytes(bAddress);
  const proto = PROTOCOL_NUMBERS[protocol] ?? Number(/^ip-proto-(\d+)$/.exec(protocol)?.[1] ?? 0);
  const aFirst = Buffer.compare(a, b) < 0 || (Buffer.compare(a, b) === 0 && aPort <= bPort);
  const [src, srcPort, dst, dstPort] = aFirst ? [a, aPort, b, bPort] : [b, bPort, a, aPort];
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(seed, 0);
  fixed[2] = proto;
  fixed[3] = 0;
  fixed.writeUInt16BE(srcPort, 4);
  fixed.writeUInt16BE(dstPort, 6);
  const hash = createHash('sha1').update(fixed.subarray(0, 2)).update(src).update(dst).update(fixed.subarray(2)).digest('base64');
  return `1:${hash}`;
}

function addressBytes(text: string): Buffer {
  const words = parseAddress(text);
  if (words === null) throw new Error(`not an address: ${text}`);
  const v4 = isIpv4Mapped(words);
  const out = Buffer.alloc(v4 ? 4 : 16);
  if (v4) out.writeUInt32BE(words[3] >>> 0, 0);
  else for (let i = 0; i < 4; i++) out.writeUInt32BE(words[i] >>> 0, 4 * i);
  return out;
}
