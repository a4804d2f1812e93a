import type { DecodedPacket } from '../decode/decoded-packet.js';
import { TUNNEL_NAMES, TunnelType } from '../decode/tunnel-header.js';
import type { AddressTexts } from './address-texts.js';
import type { FlowTunnel } from './flow-record.js';

/**
 * Per flow slot, the tunnel that carried the flow (written when the flow starts) and the tunnel
 * the flow carries (written by its tunnel packets). Kept beside the 128-byte slot records, not in
 * them: an ordinary packet never reads it, and the slot record has no room left.
 *
 * Layout of a slot's 10 words:
 *   word 0     carried by: tunnel type | id present << 8; carries: tunnel type << 16
 *   word 1     tunnel id (VNI, key, session, TEID)
 *   words 2-5  outer address on the lower endpoint's side, 6-9 on the higher's (see FlowSlots)
 */
const WORDS = 10;
const HAS_ID = 1 << 8;
const CARRIES_SHIFT = 16;

export class FlowTunnels {
  private words: Int32Array;
  /**
   * Whether any flow has been carried by, or carried, a tunnel. Until then every word is zero and
   * the flow table skips these calls: they run once per flow, mostly still unoptimised, and cost
   * a capture without tunnels about 2 % of its instructions.
   */
  used = false;

  constructor(capacity: number) {
    this.words = new Int32Array(capacity * WORDS);
  }

  grow(capacity: number): void {
    const words = new Int32Array(capacity * WORDS);
    words.set(this.words);
    this.words = words;
  }

  /** A new flow in `slot`: remembers the tunnel its first packet came in; `dir` 0 if it came from the lower endpoint. */
  start(slot: number, p: DecodedPacket, dir: number): void {
    if (p.tunnelType === TunnelType.None) {
      this.clear(slot);
      return;
    }
    const w = this.words;
    const s = slot * WORDS;
    this.used = true;
    w[s] = p.tunnelType | (p.tunnelHasId ? HAS_ID : 0);
    w[s + 1] = p.tunnelId;
    const lower = dir === 0 ? p.tunnelSrc : p.tunnelDst;
    const higher = dir === 0 ? p.tunnelDst : p.tunnelSrc;
    for (let i = 0; i < 4; i++) {
      w[s + 2 + i] = lower[i];
      w[s + 6 + i] = higher[i];
    }
  }

  /** A new flow in `slot` neither carried by nor carrying a tunnel (one the kernel observed, see FlowObservation). */
  clear(slot: number): void {
    this.words[slot * WORDS] = 0;
  }

  /** The flow in `slot` carries packets of tunnel `type`: it is an overlay's outer flow. */
  markCarrier(slot: number, type: number): void {
    this.used = true;
    const at = slot * WORDS;
    this.words[at] = (this.words[at] & ~(0xff << CARRIES_SHIFT)) | (type << CARRIES_SHIFT);
  }

  /** The tunnel that carried the flow, oriented to its client (`clientDir` 0: the lower endpoint), or undefined. */
  carriedBy(slot: number, clientDir: number, addresses: AddressTexts): FlowTunnel | undefined {
    const w = this.words;
    const s = slot * WORDS;
    const type = w[s] & 0xff;
    if (type === TunnelType.None) return undefined;
    const lower = addresses.text(w, s + 2);
    const higher = addresses.text(w, s + 6);
    return {
      type: TUNNEL_NAMES[type],
      id: w[s] & HAS_ID ? w[s + 1] >>> 0 : undefined,
      outerClient: clientDir === 0 ? lower : higher,
      outerServer: clientDir === 0 ? higher : lower,
    };
  }

  /** The name of the tunnel the flow carries, or undefined. */
  carries(slot: number): string | undefined {
    const type = (this.words[slot * WORDS] >>> CARRIES_SHIFT) & 0xff;
    return type === TunnelType.None ? undefined : TUNNEL_NAMES[type];
  }
}
