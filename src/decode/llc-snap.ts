import { DecodeReason } from './decode-reason.js';
import type { DecodedPacket } from './decoded-packet.js';
import { ETHERNET_MAX_LENGTH } from './ethertype.js';

const SAP_SNAP = 0xaa;
const CONTROL_UI = 0x03;
/** LLC (3 bytes) and SNAP (OUI, protocol id: 5 bytes). */
const LLC_SNAP_LENGTH = 8;

/**
 * An 802.2 LLC header at `at` (after an 802.3 length field, or a cooked capture's LLC protocol).
 * Only SNAP with an EtherType carries IP: LLC AA-AA-03, then OUI 00-00-00 (RFC 1042) or
 * 00-00-F8 (802.1H) and the EtherType. Another OUI names its own protocol ids, and any other LLC
 * (spanning tree, NetBIOS, ...) is counted as `llc-not-snap`.
 */
export function decodeLlcSnap(data: Buffer, at: number, end: number, out: DecodedPacket): number {
  if (end - at < 3) return DecodeReason.TruncatedLinkHeader;
  if (data[at] !== SAP_SNAP || data[at + 1] !== SAP_SNAP || data[at + 2] !== CONTROL_UI) return DecodeReason.LlcNotSnap;
  if (end - at < LLC_SNAP_LENGTH) return DecodeReason.TruncatedLinkHeader;
  const ouiIsEtherType = data[at + 3] === 0 && data[at + 4] === 0 && (data[at + 5] === 0 || data[at + 5] === 0xf8);
  const protocol = (data[at + 6] << 8) | data[at + 7];
  if (!ouiIsEtherType || protocol <= ETHERNET_MAX_LENGTH) return DecodeReason.NotIp;
  out.networkOffset = at + LLC_SNAP_LENGTH;
  out.etherType = protocol;
  return DecodeReason.Ok;
}
