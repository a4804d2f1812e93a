import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';
import { ETHERTYPE_FROM_VERSION, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';

/** Deeper stacks than this (real ones hold 2 to 5 labels) are counted, not walked. */
export const MAX_MPLS_LABELS = 16;

/**
 * Walks an MPLS label stack at `at` (4 bytes a label, the bottom one with its S bit set) and names
 * what follows the bottom label by its first nibble, as tshark does (RFC 4928): 4 is IPv4, 6 is
 * IPv6, 0 or 1 a pseudowire control word or associated channel (RFC 4385), counted. MPLS names no
 * payload protocol, so the nibble is all there is. Sets `out.networkOffset` and `out.etherType`.
 */
export function decodeMplsLabelStack(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  for (let labels = 1; ; labels++) {
    if (labels > MAX_MPLS_LABELS) return DecodeReason.TooManyMplsLabels;
    if (end - at < 4) return DecodeReason.TruncatedLinkHeader;
    const bottom = data[at + 2] & 1;
    at += 4;
    if (bottom === 1) break;
  }
  out.networkOffset = at;
  // Nothing after the stack: the IP header is what is missing.
  if (at >= end) {
    out.etherType = ETHERTYPE_FROM_VERSION;
    return DecodeReason.Ok;
  }
  const nibble = data[at] >> 4;
  if (nibble === 4) out.etherType = ETHERTYPE_IPV4;
  else if (nibble === 6) out.etherType = ETHERTYPE_IPV6;
  else return nibble <= 1 ? DecodeReason.MplsPseudowire : DecodeReason.NotIp;
  return DecodeReason.Ok;
}
