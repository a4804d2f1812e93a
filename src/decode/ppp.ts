import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS_MULTICAST, ETHERTYPE_MPLS_UNICAST } from './ethertype.js';

const HDLC_ADDRESS_ALL = 0xff;
const HDLC_CONTROL_UI = 0x03;
/** Cisco HDLC's address bytes (unicast, broadcast); an EtherType follows its control byte. */
const CISCO_HDLC_UNICAST = 0x0f;
const CISCO_HDLC_BROADCAST = 0x8f;
/** PPPoE session header: version/type, code, session id, length. */
const PPPOE_HEADER_LENGTH = 6;

/**
 * A PPP frame at `at` as LINKTYPE_PPP (9) and PPP_HDLC (50) carry it: the HDLC address and
 * control bytes (0xff 0x03) when present, then the protocol. A Cisco HDLC frame in their place
 * (LINKTYPE_C_HDLC 104, or a BSD serial line) is read by its address byte, as tshark reads it.
 */
export function decodePppFrame(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < 2) return DecodeReason.TruncatedLinkHeader;
  const first = data[at];
  if (first === CISCO_HDLC_UNICAST || first === CISCO_HDLC_BROADCAST) return decodeCiscoHdlc(data, at, end, out);
  if (first === HDLC_ADDRESS_ALL && data[at + 1] === HDLC_CONTROL_UI) at += 2;
  return decodePppProtocol(data, at, end, out);
}

/** Cisco HDLC: address, control, then an EtherType. */
export function decodeCiscoHdlc(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < 4) return DecodeReason.TruncatedLinkHeader;
  out.networkOffset = at + 4;
  out.etherType = (data[at + 2] << 8) | data[at + 3];
  return DecodeReason.Ok;
}

/** A PPPoE session header (EtherType 0x8864, or LINKTYPE_PPP_ETHER 51), then PPP's protocol. */
export function decodePppoeSession(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < PPPOE_HEADER_LENGTH) return DecodeReason.TruncatedLinkHeader;
  return decodePppProtocol(data, at + PPPOE_HEADER_LENGTH, end, out);
}

/**
 * PPP's protocol field, one byte when compressed (RFC 1661 PFC: an odd first byte), else two;
 * IPv4, IPv6 and MPLS become their EtherTypes, the control protocols (LCP, IPCP, ...) are not IP.
 */
function decodePppProtocol(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < 1) return DecodeReason.TruncatedLinkHeader;
  let protocol = data[at];
  if ((protocol & 1) === 0) {
    if (end - at < 2) return DecodeReason.TruncatedLinkHeader;
    protocol = (protocol << 8) | data[at + 1];
    at += 2;
  } else {
    at += 1;
  }
  out.networkOffset = at;
  out.etherType = etherTypeOfPppProtocol(protocol);
  return out.etherType === 0 ? DecodeReason.NotIp : DecodeReason.Ok;
}

/** PPP protocol numbers (RFC 1661, IANA PPP DLL protocol numbers) of what the decoder reads on; 0 for the rest. */
function etherTypeOfPppProtocol(protocol: number): number {
  if (protocol === 0x0021) return ETHERTYPE_IPV4;
  if (protocol === 0x0057) return ETHERTYPE_IPV6;
  if (protocol === 0x0281) return ETHERTYPE_MPLS_UNICAST;
  if (protocol === 0x0283) return ETHERTYPE_MPLS_MULTICAST;
  return 0;
}
