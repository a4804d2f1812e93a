import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';

const AF_INET = 2;
const AF_INET6 = 10;
/** The TLV holding the logged packet, from its network header on (linux/netfilter/nfnetlink_log.h). */
const NFULA_PAYLOAD = 9;
/** The type's top bit flags a nested TLV; the type is the rest. */
const NLA_TYPE_MASK = 0x7fff;

/**
 * LINKTYPE_NFLOG (239), what `tcpdump -i nflog:N` writes: a 4-byte header (address family,
 * version, resource id), then TLVs (length including its 4-byte header, type), each padded to 4
 * bytes. The TLVs are in the byte order of the host that logged them; the first one is always
 * NFULA_PACKET_HDR, 8 bytes long, so of the two readings of its length the smaller is right. The
 * walk ends at NFULA_PAYLOAD, whose value is the IP packet; each step advances at least 4 bytes, so
 * it is bounded by the captured length.
 */
export function decodeNflog(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < 4) return DecodeReason.TruncatedLinkHeader;
  const family = data[at];
  let pos = at + 4;
  if (end - pos < 4) return pos === end ? DecodeReason.NflogWithoutPayload : DecodeReason.TruncatedLinkHeader;
  const littleEndian = (data[pos] | (data[pos + 1] << 8)) <= ((data[pos] << 8) | data[pos + 1]);
  while (end - pos >= 4) {
    const length = littleEndian ? data[pos] | (data[pos + 1] << 8) : (data[pos] << 8) | data[pos + 1];
    const type = (littleEndian ? data[pos + 2] | (data[pos + 3] << 8) : (data[pos + 2] << 8) | data[pos + 3]) & NLA_TYPE_MASK;
    if (length < 4) return DecodeReason.NflogWithoutPayload;
    if (type === NFULA_PAYLOAD) {
      out.networkOffset = pos + 4;
      out.etherType = family === AF_INET ? ETHERTYPE_IPV4 : family === AF_INET6 ? ETHERTYPE_IPV6 : 0;
      return out.etherType === 0 ? DecodeReason.NotIp : DecodeReason.Ok;
    }
    pos += (length + 3) & ~3;
  }
  // Cut inside a TLV before the payload's: the snaplen. Ending between TLVs: the record had none
  // (a snaplen cut exactly there reads the same; the headers before the payload are small).
  return pos === end ? DecodeReason.NflogWithoutPayload : DecodeReason.TruncatedLinkHeader;
}
