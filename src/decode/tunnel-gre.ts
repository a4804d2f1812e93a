import { DecodeReason } from './decode-reason.js';
import { INNER_ETHERNET, TunnelType, type TunnelHeader } from './tunnel-header.js';
import { innerEtherType } from './tunnel-udp.js';

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
const GRE_VERSION = 0x0007;
const ERSPAN_II = 0x88be;
const ERSPAN_III = 0x22eb;
const ERSPAN_III_PLATFORM_SUBHEADER = 0x01;

/**
 * GRE (RFC 2784, with the key and sequence number of RFC 2890), IP protocol 47, at `data[at ..
 * end)`. Checksum, key and sequence fields are stepped over by their flags, the key kept as the
 * tunnel's id. The payload is IPv4, IPv6, Ethernet (Transparent Ethernet Bridging) or an ERSPAN
 * mirror session of type I, II or III, whose session id becomes the id. Version 1 (PPTP) and
 * source routing are counted as unsupported payloads.
 */
export function parseGre(data: Buffer, at: number, end: number, out: TunnelHeader): number {
  if (end - at < 4) return DecodeReason.TruncatedTunnelHeader;
  const flags = (data[at] << 8) | data[at + 1];
  if (flags & (GRE_VERSION | GRE_ROUTING)) return DecodeReason.UnsupportedTunnelPayload;
  const protocolType = (data[at + 2] << 8) | data[at + 3];
  let pos = at + 4;
  if (flags & GRE_CHECKSUM) pos += 4;
  const keyAt = pos;
  if (flags & GRE_KEY) pos += 4;
  if (flags & GRE_SEQUENCE) pos += 4;
  if (pos > end) return DecodeReason.TruncatedTunnelHeader;
  const hasKey = flags & GRE_KEY ? 1 : 0;
  const key = hasKey ? (data[keyAt] << 24) | (data[keyAt + 1] << 16) | (data[keyAt + 2] << 8) | data[keyAt + 3] : 0;
  if (protocolType === ERSPAN_II) {
    // Type I has no ERSPAN header and no sequence number; type II has both.
    if ((flags & GRE_SEQUENCE) === 0) {
      out.set(TunnelType.Erspan, 0, 0, pos, INNER_ETHERNET);
      return DecodeReason.Ok;
    }
    return parseErspan(data, pos, end, 1, 8, out);
  }
  if (protocolType === ERSPAN_III) return parseErspan(data, pos, end, 2, 12, out);
  const inner = innerEtherType(protocolType);
  if (inner === 0) return DecodeReason.UnsupportedTunnelPayload;
  out.set(TunnelType.Gre, key, hasKey, pos, inner);
  return DecodeReason.Ok;
}

/** An ERSPAN type II (version 1, 8 bytes) or III (version 2, 12 bytes and an optional 8) header. */
function parseErspan(data: Buffer, at: number, end: number, version: number, length: number, out: TunnelHeader): number {
  if (end - at < length) return DecodeReason.TruncatedTunnelHeader;
  if (data[at] >> 4 !== version) return DecodeReason.UnsupportedTunnelPayload;
  if (version === 2 && data[at + 11] & ERSPAN_III_PLATFORM_SUBHEADER) length += 8;
  if (end - at < length) return DecodeReason.TruncatedTunnelHeader;
  const session = ((data[at + 2] & 0x03) << 8) | data[at + 3];
  out.set(TunnelType.Erspan, session, 1, at + length, INNER_ETHERNET);
  return DecodeReason.Ok;
}
