/**
 * Per-flow state, one 128-byte record per slot (two cache lines) in a single ArrayBuffer seen
 * through an Int32Array (signed bit patterns, see DecodedPacket) and a Float64Array. A packet
 * for a known flow touches only its own record and one hash bucket: laid out field-per-array
 * instead, the same update touched a dozen cache lines (bench/RESULTS.md).
 *
 * Layout of a slot's 128 bytes:
 *   words 0-3    lower address, 4-7 higher address (IPv4 as ::ffff:a.b.c.d)
 *   word  8      lower port << 16 | higher port
 *   word  9      key hash
 *   word  10     meta: protocol, TCP flag history, initiator and evidence, IP version, in use
 *   word  11     TCP: the initiator's SYN sequence number; ICMP: its first type << 8 | code
 *   word  12     later IP fragments attributed
 *   words 13-14  packets lo->hi, hi->lo
 *   words 15-16  next expected TCP sequence number per direction (payload prefix)
 *   word  17     payload prefix fill lo->hi | hi->lo << 16
 *   word  18     payload prefix state per direction (stop code, sequence known), upgrade seen
 *   words 19-20  payload buffer id + 1 per direction (0: none)
 *   word  21     offset of the next TLS record header per direction (lo->hi | hi->lo << 16)
 *   bytes 88-127 doubles 11-12 bytes lo->hi, hi->lo; 13 id; 14 first seen; 15 last seen
 */
const SLOT_BYTES = 128;
export const WORDS = SLOT_BYTES / 4;
export const DOUBLES = SLOT_BYTES / 8;

export const W_ADDRESS = 0;
export const W_PORTS = 8;
export const W_HASH = 9;
export const W_META = 10;
export const W_SYN_SEQ = 11;
export const W_LATER_FRAGMENTS = 12;
export const W_PACKETS = 13;
export const W_NEXT_SEQ = 15;
export const W_PAYLOAD_FILL = 17;
export const W_PAYLOAD_STATE = 18;
export const W_PAYLOAD_BUFFER = 19;
export const W_TLS_RECORD = 21;

export const D_BYTES = 11;
export const D_ID = 13;
export const D_FIRST_SEEN = 14;
export const D_LAST_SEEN = 15;

// Meta word: protocol, TCP flag history, who initiated and how we know, IP version, in use.
export const META_PROTOCOL_MASK = 0xff;
export const META_SYN_LO = 1 << 8;
export const META_SYN_HI = 1 << 9;
export const META_SYNACK_LO = 1 << 10;
export const META_SYNACK_HI = 1 << 11;
export const META_FIN_LO = 1 << 12;
export const META_FIN_HI = 1 << 13;
export const META_RST = 1 << 14;
export const META_CONTINUED = 1 << 15;
/** Set when the higher endpoint is the initiator. */
export const META_INITIATOR_HI = 1 << 16;
export const META_EVIDENCE_SHIFT = 17;
export const META_EVIDENCE_MASK = 3 << META_EVIDENCE_SHIFT;
export const META_IPV6 = 1 << 19;
export const META_IN_USE = 1 << 20;
/** The payload prefix grew or stopped since the last update was published (live agent only). */
export const META_EVIDENCE_CHANGED = 1 << 21;
/** Started by a payload chunk (FlowTable.addPayloadChunk) and no counters yet: its initiator is provisional. */
export const META_OBSERVED_PENDING = 1 << 22;

// Payload state word: per direction a 3-bit stop code and a "sequence known" bit.
export const PAYLOAD_STOP_MASK = 7;
export const PAYLOAD_SEQ_KNOWN = 8;
export const PAYLOAD_DIR_SHIFT = 4;
/** The flow opened like a plaintext-to-TLS upgrade (STARTTLS, SSLRequest, CONNECT): both directions keep up to the limit. */
export const PAYLOAD_UPGRADE = 1 << 8;

/** The slot records, grown by doubling. */
export class FlowSlots {
  words: Int32Array;
  doubles: Float64Array;
  capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    const buffer = new ArrayBuffer(capacity * SLOT_BYTES);
    this.words = new Int32Array(buffer);
    this.doubles = new Float64Array(buffer);
  }

  grow(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * SLOT_BYTES);
    new Uint8Array(buffer).set(new Uint8Array(this.words.buffer));
    this.words = new Int32Array(buffer);
    this.doubles = new Float64Array(buffer);
    this.capacity = capacity;
  }
}
