import type { DecodedPacket } from './decoded-packet.js';

const SLOTS = 4096;
const EMPTY = 0;

/**
 * Remembers the ports of first fragments so later fragments (which carry no transport header)
 * can be attributed to their flow. Direct-mapped and fixed-size: a collision overwrites the older
 * datagram, whose later fragments are then counted as fragment-without-first. No allocation.
 */
export class FragmentTable {
  private readonly addresses = new Int32Array(SLOTS * 8);
  private readonly ids = new Int32Array(SLOTS);
  /** Protocol + 1, so 0 marks an empty slot. */
  private readonly protocols = new Uint16Array(SLOTS);
  private readonly ports = new Uint32Array(SLOTS);

  /** Records a first fragment's ports. */
  remember(p: DecodedPacket): void {
    const slot = this.slotOf(p);
    const a = slot * 8;
    for (let i = 0; i < 4; i++) {
      this.addresses[a + i] = p.src[i];
      this.addresses[a + 4 + i] = p.dst[i];
    }
    this.ids[slot] = p.fragmentId;
    this.protocols[slot] = p.protocol + 1;
    this.ports[slot] = ((p.srcPort << 16) | p.dstPort) >>> 0;
  }

  /** Fills a later fragment's ports from its first fragment; false if that was never seen. */
  recall(p: DecodedPacket): boolean {
    const slot = this.slotOf(p);
    if (this.protocols[slot] === EMPTY || this.protocols[slot] !== p.protocol + 1 || this.ids[slot] !== p.fragmentId) return false;
    const a = slot * 8;
    for (let i = 0; i < 4; i++) {
      if (this.addresses[a + i] !== p.src[i] || this.addresses[a + 4 + i] !== p.dst[i]) return false;
    }
    p.srcPort = this.ports[slot] >>> 16;
    p.dstPort = this.ports[slot] & 0xffff;
    return true;
  }

  private slotOf(p: DecodedPacket): number {
    let h = Math.imul(p.fragmentId ^ p.protocol, 0x9e3779b1);
    h = Math.imul(h ^ p.src[3], 0x85ebca6b);
    h = Math.imul(h ^ p.dst[3], 0xc2b2ae35);
    return (h ^ (h >>> 15)) & (SLOTS - 1);
  }
}
