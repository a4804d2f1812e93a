import { Fragment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { IpProtocol } from '../net/ip-protocol.js';
import { TunnelType } from '../decode/tunnel-header.js';
import { AddressTexts } from './address-texts.js';
import { FlowIndex, NO_SLOT } from './flow-index.js';
import { type FlowObservation, type ObservationStats, type ObservedFlowKey, type PayloadChunk, SEEN_FIN, SEEN_RST, SEEN_SYN, SEEN_SYN_ACK } from './flow-observation.js';
import type { FlowDirection, FlowEndReason, FlowRecord, FlowSink, InitiatorEvidence, TcpState } from './flow-record.js';
import {
  D_BYTES, D_FIRST_SEEN, D_ID, D_LAST_SEEN, DOUBLES, FlowSlots,
  META_CONTINUED, META_EVIDENCE_MASK, META_EVIDENCE_SHIFT, META_FIN_HI, META_FIN_LO, META_IN_USE, META_INITIATOR_HI,
  META_EVIDENCE_CHANGED, META_IPV6, PAYLOAD_DIR_SHIFT, PAYLOAD_STOP_MASK, META_PROTOCOL_MASK, META_RST, META_SYN_HI, META_SYN_LO, META_SYNACK_HI, META_SYNACK_LO,
  META_OBSERVED_PENDING, PAYLOAD_SEQ_KNOWN,
  W_ADDRESS, W_HASH, W_LATER_FRAGMENTS, W_META, W_PACKETS, W_PAYLOAD_FILL, W_PAYLOAD_STATE, W_PORTS, W_SYN_SEQ, WORDS,
} from './flow-slots.js';
import { FlowTunnels } from './flow-tunnels.js';
import { isValidChunk, isValidObservation } from './observation-checks.js';
import { EntryChange, ObservedEntries, entryKey } from './observed-entries.js';
import { PayloadPrefixes } from './payload-prefixes.js';

export interface FlowTableOptions {
  /** Hard bound on live flows; beyond it the least recently active flows are evicted (and emitted). */
  readonly maxFlows: number;
  /** Idle timeout for open TCP connections, seconds. */
  readonly tcpIdleTimeout: number;
  /** Idle timeout for UDP and other protocols, seconds. */
  readonly udpIdleTimeout: number;
  /** How long a closed (FIN both ways, or RST) connection lingers for stray packets, seconds. */
  readonly closedTimeout: number;
  /** A flow longer than this is emitted and continued in a new record, seconds. */
  readonly activeTimeout: number;
  /** Payload bytes kept per direction for the TLS/DNS parsers; 0 keeps none (and costs nothing). */
  readonly payloadLimit: number;
  /**
   * Bytes kept of a TCP stream whose first byte cannot start a TLS record (at most payloadLimit).
   * A consumer that only needs to tell plaintext apart sets it low and spends the budget on handshakes.
   */
  readonly plainPayloadLimit: number;
  /** Bound on the memory of all payload prefixes together, bytes. */
  readonly payloadBudget: number;
  /** At the bound, about this share of the table is evicted at once (one scan per many new flows). */
  readonly evictFraction: number;
  /**
   * Most flows one timeout sweep emits before it pauses (see sweepPending). Offline a sweep runs
   * whole; the agent bounds it so that a million flows timing out together cannot stall its
   * event loop (and /metrics) for seconds.
   */
  readonly sweepBatch: number;
  /**
   * Most slots one call of publishUpdates or continueSweep looks at before it pauses. A pass over
   * a million live flows that finds little to do still reads every slot, 16-30 ms in one call;
   * the agent bounds it so that such a pass is spread over turns of its event loop.
   */
  readonly scanBatch: number;
  /**
   * Slots allocated at start (at most maxFlows); the table doubles from there. The agent allocates
   * all of maxFlows at once: memory the kernel commits only as slots are used, and no doubling
   * (a copy and a re-index of every live flow, hundreds of milliseconds at a million) mid-flood.
   */
  readonly initialCapacity: number;
}

export const DEFAULT_FLOW_TABLE_OPTIONS: FlowTableOptions = {
  maxFlows: 1_000_000,
  tcpIdleTimeout: 300,
  udpIdleTimeout: 60,
  closedTimeout: 5,
  activeTimeout: 1800,
  // A TLS 1.2 server flight (certificate chain, then CertificateRequest) needs a few KiB.
  payloadLimit: 4096,
  plainPayloadLimit: 4096,
  payloadBudget: 64 << 20,
  evictFraction: 1 / 16,
  sweepBatch: Infinity,
  scanBatch: Infinity,
  initialCapacity: 4096,
};

/** Counters a run reports and the agent exports. */
export interface FlowTableStats {
  packets: number;
  flowsStarted: number;
  flowsEmitted: number;
  evicted: number;
  portReuses: number;
  activeTimeouts: number;
  peakLive: number;
  /** Flow directions that kept no payload prefix because the buffer budget was spent. */
  payloadBudgetExhausted: number;
}

/**
 * Idle flows are swept out at most this often, in capture seconds. Lookups already treat a timed-out
 * flow as ended, so this only bounds how long an idle flow holds memory and waits to be reported.
 */
const SWEEP_INTERVAL = 5;

const SYN_ANY = META_SYN_LO | META_SYN_HI;
const SYNACK_ANY = META_SYNACK_LO | META_SYNACK_HI;
const FIN_BOTH = META_FIN_LO | META_FIN_HI;

const EVIDENCE: readonly InitiatorEvidence[] = ['syn', 'syn-ack', 'port-heuristic', 'first-packet'];
const EVIDENCE_SYN = 0;
const EVIDENCE_SYN_ACK = 1;
const EVIDENCE_PORT = 2;
const EVIDENCE_FIRST_PACKET = 3;

/**
 * The bidirectional flow table. Decoded packets come in; finished flows go out to a FlowSink as
 * FlowRecords. A packet of a known flow allocates nothing: state lives in fixed slot records
 * (flow-slots.ts) found through a numeric hash index. Timeouts run on capture time.
 */
export class FlowTable {
  readonly stats: FlowTableStats = {
    packets: 0, flowsStarted: 0, flowsEmitted: 0, evicted: 0, portReuses: 0, activeTimeouts: 0, peakLive: 0, payloadBudgetExhausted: 0,
  };
  private readonly options: FlowTableOptions;
  private readonly slots: FlowSlots;
  private readonly index: FlowIndex;
  private readonly payloads: PayloadPrefixes;
  private readonly addresses = new AddressTexts();
  private readonly tunnels: FlowTunnels;
  private readonly keepPayload: boolean;
  /** The sink wants live updates: payload changes mark their flow for the next publishUpdates. */
  private readonly tracksEvidence: boolean;
  private freeSlots: Int32Array;
  private freeCount = 0;
  /** Slots below this have been used; sweeps scan up to it. */
  private highWater = 0;
  private live = 0;
  private nextId = 1;
  /** The latest packet time seen. */
  private clock = 0;
  private nextSweep = 0;
  /** Where a paused sweep resumes, and the time it sweeps for; -1 when no sweep is paused. */
  private sweepCursor = -1;
  private sweepTime = 0;
  /** Where the next publishUpdates resumes its pass. */
  private updateCursor = 0;
  /** What addObservation and addPayloadChunk were given, and what they could not take. */
  readonly observedStats: ObservationStats = { observations: 0, chunks: 0, rejected: 0, restarted: 0, forgotten: 0 };
  /** The kernel entries observations came from, for their cumulative counters. */
  private readonly entries: ObservedEntries;
  /** An observed key's endpoints as address words, and in table order (see keyObserved). */
  private readonly observedA = new Int32Array(4);
  private readonly observedB = new Int32Array(4);
  private observedLo = this.observedA;
  private observedHi = this.observedB;
  private observedPorts = 0;

  constructor(private readonly sink: FlowSink, options: Partial<FlowTableOptions> = {}) {
    this.options = { ...DEFAULT_FLOW_TABLE_OPTIONS, ...options };
    const capacity = Math.min(this.options.initialCapacity, this.options.maxFlows);
    this.slots = new FlowSlots(capacity);
    this.index = new FlowIndex(this.slots);
    this.tunnels = new FlowTunnels(capacity);
    this.payloads = new PayloadPrefixes(this.slots, this.options.payloadLimit, this.options.plainPayloadLimit, this.options.payloadBudget);
    this.keepPayload = this.options.payloadLimit > 0;
    this.tracksEvidence = sink.onFlowUpdate !== undefined;
    this.freeSlots = new Int32Array(capacity);
    for (let slot = capacity - 1; slot >= 0; slot--) this.freeSlots[this.freeCount++] = slot;
    this.entries = new ObservedEntries(this.options.maxFlows, this.observedStats);
  }

  get liveFlows(): number {
    return this.live;
  }

  /** Accounts one decoded packet (DecodeReason.Ok) to its flow. */
  addPacket(p: DecodedPacket, data: Buffer, timestampSeconds: number, timestampNanos: number): void {
    const ts = timestampSeconds + timestampNanos * 1e-9;
    if (ts > this.clock) {
      this.clock = ts;
      if (ts >= this.nextSweep) this.sweep(ts);
    }
    this.stats.packets++;
    const src = p.src;
    const dst = p.dst;
    const srcIsLower = compareEndpoints(src, p.srcPort, dst, p.dstPort) <= 0;
    const lo = srcIsLower ? src : dst;
    const hi = srcIsLower ? dst : src;
    const dir = srcIsLower ? 0 : 1;
    const ports = srcIsLower ? (p.srcPort << 16) | p.dstPort : (p.dstPort << 16) | p.srcPort;
    const protocol = p.protocol;
    const hash = FlowIndex.hash(protocol, lo, hi, ports);
    const isTcp = protocol === IpProtocol.Tcp;
    const flags = p.tcpFlags;
    let slot = this.index.find(hash, protocol, lo, hi, ports);

    if (slot !== NO_SLOT) {
      const d = slot * DOUBLES;
      const doubles = this.slots.doubles;
      if (ts - doubles[d + D_LAST_SEEN] > this.idleTimeoutOf(slot)) {
        // Timed out but not yet swept: this packet belongs to a new flow.
        this.endIdle(slot);
        slot = NO_SLOT;
      } else if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && this.startsNewConnection(slot, dir, p.tcpSeq)) {
        this.endForNewConnection(slot);
        slot = NO_SLOT;
      } else if (ts - doubles[d + D_FIRST_SEEN] > this.options.activeTimeout) {
        this.splitAtActiveTimeout(slot);
        doubles[d + D_FIRST_SEEN] = doubles[d + D_LAST_SEEN] = ts;
      }
    }
    // A new flow's times are written here, not passed to start(): V8 boxed a double argument of a
    // call it does not inline into a new HeapNumber on every packet, calling or not (31 MB of
    // garbage in 2 M packets, bench/RESULTS.md).
    const isNew = slot === NO_SLOT;
    if (isNew) slot = this.start(hash, protocol, lo, hi, ports, dir, p);

    const w = this.slots.words;
    const doubles = this.slots.doubles;
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    if (isNew) doubles[d + D_FIRST_SEEN] = doubles[d + D_LAST_SEEN] = ts;
    w[s + W_PACKETS + dir]++;
    doubles[d + D_BYTES + dir] += p.ipLength;
    if (p.encapsulates !== 0) this.tunnels.markCarrier(slot, p.encapsulates);
    if (ts > doubles[d + D_LAST_SEEN]) doubles[d + D_LAST_SEEN] = ts;
    if (p.fragment === Fragment.Later) {
      w[s + W_LATER_FRAGMENTS]++;
      return;
    }
    if (isTcp && flags & (TCP_SYN | TCP_FIN | TCP_RST)) this.trackTcpFlags(slot, dir, flags, p.tcpSeq);
    if (p.payloadLength === 0 || !this.keepPayload) return;
    const state = w[s + W_PAYLOAD_STATE];
    // Most payload packets come after their direction stopped collecting: no call for those.
    if ((state >>> (dir * PAYLOAD_DIR_SHIFT)) & PAYLOAD_STOP_MASK) return;
    const fill = w[s + W_PAYLOAD_FILL];
    if (isTcp) this.payloads.addSegment(slot, dir, p.tcpSeq, data, p.payloadOffset, p.payloadCaptured, p.payloadLength);
    else this.payloads.addDatagram(slot, dir, data, p.payloadOffset, p.payloadCaptured, p.payloadLength);
    if (this.tracksEvidence && (w[s + W_PAYLOAD_FILL] !== fill || w[s + W_PAYLOAD_STATE] !== state)) w[s + W_META] |= META_EVIDENCE_CHANGED;
  }

  /**
   * Accounts a kernel entry's counters (cumulative, repeated as the kernel reads them) to its
   * flow. An observation acts like a packet at its lastSeen carrying what grew since the entry's
   * last one: it moves the clock, ends a flow idle past its timeout, starts a new connection for a
   * new entry that opens with a SYN, and splits the flow at its active timeout (the record before
   * the split ends with the counters of the previous observation). Out-of-range fields are
   * counted (observedStats.rejected) and the observation dropped.
   */
  addObservation(o: FlowObservation): void {
    if (!this.takesObserved('observations', isValidObservation(o))) return;
    const ts = o.lastSeen;
    this.advanceClock(ts);
    const aIsLower = this.keyObserved(o);
    const lo = this.observedLo;
    const hi = this.observedHi;
    const ports = this.observedPorts;
    const protocol = o.protocol;
    const entries = this.entries;
    const change = entries.advance(entryKey(protocol, lo, hi, ports), o, aIsLower);
    const initiator = observedInitiator(o, aIsLower);
    const hash = FlowIndex.hash(protocol, lo, hi, ports);
    let slot = this.index.find(hash, protocol, lo, hi, ports);
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    if (slot !== NO_SLOT && (w[slot * WORDS + W_META] & META_OBSERVED_PENDING) !== 0) {
      // Started by its payload: the first counters say who opened it and since when.
      this.settleObserved(slot, o, initiator, change !== EntryChange.Continuing);
    } else if (slot !== NO_SLOT) {
      const d = slot * DOUBLES;
      const opensWithSyn = protocol === IpProtocol.Tcp && change !== EntryChange.Continuing && initiator >>> 1 === EVIDENCE_SYN;
      if (ts - doubles[d + D_LAST_SEEN] > this.idleTimeoutOf(slot)) {
        this.endIdle(slot);
        slot = NO_SLOT;
      } else if (opensWithSyn && this.startsNewConnection(slot, initiator & 1, w[slot * WORDS + W_SYN_SEQ] ^ 1)) {
        // A new entry opening with a SYN is a new SYN: an ISN unlike the kept one (the kernel keeps none).
        this.endForNewConnection(slot);
        slot = NO_SLOT;
      } else if (ts - doubles[d + D_FIRST_SEEN] > this.options.activeTimeout) {
        this.splitAtActiveTimeout(slot);
        doubles[d + D_FIRST_SEEN] = doubles[d + D_LAST_SEEN] = ts;
      }
    }
    if (slot === NO_SLOT && change === EntryChange.Continuing && entries.packets0 + entries.packets1 === 0) {
      // The table ended this entry's flow (a closed connection's linger, a timeout) and the report
      // brings no packet since, typically the entry's final one: nothing begins. A flow begun here
      // would be a connection of no packets.
      return;
    }
    if (slot === NO_SLOT) {
      // A new (or restarted) entry's flow began at its first packet; one the table had ended while
      // the entry went on (a timeout, an eviction) begins where this observation's packets may.
      slot = this.startObserved(hash, o, lo, hi, ports, initiator, observedIcmp(o), change === EntryChange.Continuing ? ts : o.firstSeen);
    }
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    w[s + W_PACKETS] += entries.packets0;
    w[s + W_PACKETS + 1] += entries.packets1;
    doubles[d + D_BYTES] += entries.bytes0;
    doubles[d + D_BYTES + 1] += entries.bytes1;
    w[s + W_LATER_FRAGMENTS] += entries.laterFragments;
    if (ts > doubles[d + D_LAST_SEEN]) doubles[d + D_LAST_SEEN] = ts;
    if (protocol === IpProtocol.Tcp) {
      this.markObservedFlags(slot, 0, entries.flags0);
      this.markObservedFlags(slot, 1, entries.flags1);
    }
  }

  /**
   * Keeps payload bytes the kernel copied from one packet (a PayloadChunk) in its flow's prefix,
   * by the same rules as a packet's payload (limit, plain limit, TLS records, budget). A chunk
   * may come before the flow's first counters: it starts the flow, and those counters then say who
   * opened it. Out-of-range fields are counted (observedStats.rejected) and the chunk dropped.
   */
  addPayloadChunk(c: PayloadChunk): void {
    if (!this.takesObserved('chunks', isValidChunk(c)) || !this.keepPayload) return;
    const ts = c.time;
    this.advanceClock(ts);
    const aIsLower = this.keyObserved(c);
    const lo = this.observedLo;
    const hi = this.observedHi;
    const ports = this.observedPorts;
    const dir = (aIsLower ? 0 : 1) ^ (c.fromB ? 1 : 0);
    const hash = FlowIndex.hash(c.protocol, lo, hi, ports);
    let slot = this.index.find(hash, c.protocol, lo, hi, ports);
    if (slot !== NO_SLOT && ts - this.slots.doubles[slot * DOUBLES + D_LAST_SEEN] > this.idleTimeoutOf(slot)) {
      this.endIdle(slot);
      slot = NO_SLOT;
    } else if (slot !== NO_SLOT && c.offset === 0 && this.closedReasonOf(slot) !== null) {
      // A stream's first bytes on a closed connection: a new connection's, come before its counters.
      this.emit(slot, this.closedReasonOf(slot)!);
      slot = NO_SLOT;
    }
    if (slot === NO_SLOT) {
      slot = this.startObserved(hash, c, lo, hi, ports, dir | (EVIDENCE_FIRST_PACKET << 1), 0, ts);
      this.slots.words[slot * WORDS + W_META] |= META_OBSERVED_PENDING;
    }
    const w = this.slots.words;
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    if (ts > this.slots.doubles[d + D_LAST_SEEN]) this.slots.doubles[d + D_LAST_SEEN] = ts;
    const shift = dir * PAYLOAD_DIR_SHIFT;
    const state = w[s + W_PAYLOAD_STATE];
    if ((state >>> shift) & PAYLOAD_STOP_MASK) return;
    const fill = w[s + W_PAYLOAD_FILL];
    if (c.protocol === IpProtocol.Tcp) {
      // Offsets count from the direction's first payload byte, as if its SYN had sequence number -1.
      if (((state >>> shift) & PAYLOAD_SEQ_KNOWN) === 0) this.payloads.synSeen(slot, dir, -1);
      this.payloads.addSegment(slot, dir, c.offset, c.bytes, 0, c.bytes.length, c.length);
    } else {
      this.payloads.addDatagram(slot, dir, c.bytes, 0, c.bytes.length, c.length);
    }
    if (this.tracksEvidence && (w[s + W_PAYLOAD_FILL] !== fill || w[s + W_PAYLOAD_STATE] !== state)) w[s + W_META] |= META_EVIDENCE_CHANGED;
  }

  /** Counts an observation or a chunk, and it as rejected when a field is out of range; returns whether to take it. */
  private takesObserved(kind: 'observations' | 'chunks', valid: boolean): boolean {
    this.observedStats[kind]++;
    if (!valid) this.observedStats.rejected++;
    return valid;
  }

  /** Writes an observed key's endpoints in table order (observedLo, observedHi, observedPorts); returns whether A is the lower. */
  private keyObserved(k: ObservedFlowKey): boolean {
    const a = this.observedA;
    const b = this.observedB;
    readAddressWords(k.addressA, a);
    readAddressWords(k.addressB, b);
    const aIsLower = compareEndpoints(a, k.portA, b, k.portB) <= 0;
    this.observedLo = aIsLower ? a : b;
    this.observedHi = aIsLower ? b : a;
    this.observedPorts = aIsLower ? (k.portA << 16) | k.portB : (k.portB << 16) | k.portA;
    return aIsLower;
  }

  /** Starts a flow from an observation or a chunk; `initiator` is its direction | evidence << 1. */
  private startObserved(hash: number, k: ObservedFlowKey, lo: Int32Array, hi: Int32Array, ports: number, initiator: number, icmp: number, firstSeen: number): number {
    const slot = this.claim(hash, lo, hi, ports, icmp);
    if (this.tunnels.used) this.tunnels.clear(slot);
    this.slots.words[slot * WORDS + W_META] =
      k.protocol | META_IN_USE | (k.ipVersion === 6 ? META_IPV6 : 0) | (initiator & 1 ? META_INITIATOR_HI : 0) | ((initiator >>> 1) << META_EVIDENCE_SHIFT);
    this.index.insert(slot);
    const d = slot * DOUBLES;
    this.slots.doubles[d + D_FIRST_SEEN] = this.slots.doubles[d + D_LAST_SEEN] = firstSeen;
    return slot;
  }

  /** A flow its payload started meets its first counters: they name the initiator, the ICMP message and (a new entry) the first packet. */
  private settleObserved(slot: number, o: FlowObservation, initiator: number, newEntry: boolean): void {
    const w = this.slots.words;
    const m = slot * WORDS + W_META;
    w[m] = (w[m] & ~(META_OBSERVED_PENDING | META_INITIATOR_HI | META_EVIDENCE_MASK)) | (initiator & 1 ? META_INITIATOR_HI : 0) | ((initiator >>> 1) << META_EVIDENCE_SHIFT);
    w[slot * WORDS + W_SYN_SEQ] = observedIcmp(o);
    const d = slot * DOUBLES;
    if (newEntry && o.firstSeen < this.slots.doubles[d + D_FIRST_SEEN]) this.slots.doubles[d + D_FIRST_SEEN] = o.firstSeen;
  }

  /** Records TCP flag classes (SEEN_*) newly seen in direction `dir`, as trackTcpFlags does for a packet's flags. */
  private markObservedFlags(slot: number, dir: number, seen: number): void {
    if (seen === 0) return;
    const w = this.slots.words;
    const m = slot * WORDS + W_META;
    let meta = w[m];
    if (seen & SEEN_SYN) meta |= dir === 0 ? META_SYN_LO : META_SYN_HI;
    if (seen & SEEN_SYN_ACK) {
      meta |= dir === 0 ? META_SYNACK_LO : META_SYNACK_HI;
      // A SYN-ACK outranks the port guess of a flow picked up mid-stream.
      if ((meta & META_EVIDENCE_MASK) >>> META_EVIDENCE_SHIFT === EVIDENCE_PORT) {
        meta = (meta & ~(META_EVIDENCE_MASK | META_INITIATOR_HI)) | (EVIDENCE_SYN_ACK << META_EVIDENCE_SHIFT) | (dir === 0 ? META_INITIATOR_HI : 0);
      }
    }
    if (seen & SEEN_FIN) meta |= dir === 0 ? META_FIN_LO : META_FIN_HI;
    if (seen & SEEN_RST) meta |= META_RST;
    w[m] = meta;
  }

  /**
   * Hands live flows whose evidence changed since they were last published to the sink's
   * onFlowUpdate, at most `limit` of them and looking at most at scanBatch slots; returns whether
   * more wait (the next call resumes where this one stopped). The agent starts a pass every second
   * and, while it returns true, calls again between other work: a flood of new flows is judged in
   * steps, not in one long pass.
   */
  publishUpdates(limit = Infinity): boolean {
    if (!this.tracksEvidence) return false;
    const w = this.slots.words;
    let published = 0;
    const end = Math.min(this.highWater, this.updateCursor + this.options.scanBatch);
    let slot = this.updateCursor;
    for (; slot < end; slot++) {
      const m = slot * WORDS + W_META;
      // A flow begun by its payload waits for its first counters (the loader sends them at its
      // next sweep): judged before them, its record would say no packets and guess the initiator.
      if ((w[m] & META_EVIDENCE_CHANGED) === 0 || (w[m] & META_OBSERVED_PENDING) !== 0) continue;
      w[m] &= ~META_EVIDENCE_CHANGED;
      this.sink.onFlowUpdate!(this.record(slot, 'update'));
      if (++published >= limit) {
        this.updateCursor = slot + 1;
        return true;
      }
    }
    if (slot < this.highWater) {
      this.updateCursor = slot;
      return true;
    }
    this.updateCursor = 0;
    return false;
  }

  /**
   * Moves the table's clock to `now` (seconds since the epoch) when no packet has: a live capture
   * that goes quiet must still time its flows out. Packets stamped earlier are still accounted.
   */
  advanceClock(now: number): void {
    if (now <= this.clock) return;
    this.clock = now;
    if (now >= this.nextSweep) this.sweep(now);
  }

  /**
   * Emits every live flow (end of a capture, or shutdown). Connections already closed say how
   * (fin or rst) rather than that the capture ended.
   */
  flush(): void {
    const w = this.slots.words;
    for (let slot = 0; slot < this.highWater; slot++) {
      if (w[slot * WORDS + W_META] & META_IN_USE) this.emit(slot, this.closedReasonOf(slot) ?? 'end-of-capture');
    }
  }

  /**
   * A SYN on a known 5-tuple is a new connection if the old one is closing or closed, or if it
   * carries another initial sequence number than the SYN that opened it (a retransmission does not).
   */
  private startsNewConnection(slot: number, dir: number, seq: number): boolean {
    const meta = this.slots.words[slot * WORDS + W_META];
    if (meta & (META_RST | FIN_BOTH)) return true;
    if (meta & (dir === 0 ? META_SYN_LO : META_SYN_HI)) return this.slots.words[slot * WORDS + W_SYN_SEQ] !== seq;
    if (meta & SYN_ANY) return false; // simultaneous open
    // Picked up mid-stream: the SYN opens anew unless a SYN-ACK already answered this side.
    return (meta & (dir === 0 ? META_SYNACK_HI : META_SYNACK_LO)) === 0;
  }

  /** Takes a free slot for a new flow; its first and last seen are the caller's to write. */
  private start(hash: number, protocol: number, lo: Int32Array, hi: Int32Array, ports: number, dir: number, p: DecodedPacket): number {
    // The word holds the SYN's sequence number for TCP; for ICMP, the first message's type and code.
    const slot = this.claim(hash, lo, hi, ports, isIcmp(protocol) ? (p.icmpType << 8) | p.icmpCode : 0);
    if (this.tunnels.used || p.tunnelType !== TunnelType.None) this.tunnels.start(slot, p, dir);
    const [initiatorDir, evidence] = chooseInitiator(p, dir);
    this.slots.words[slot * WORDS + W_META] = protocol | META_IN_USE | (p.ipVersion === 6 ? META_IPV6 : 0) | (initiatorDir ? META_INITIATOR_HI : 0) | (evidence << META_EVIDENCE_SHIFT);
    this.index.insert(slot);
    return slot;
  }

  /**
   * Takes a free slot and writes the flow's key (`synSeq`: the W_SYN_SEQ word) with its counters
   * zero; the meta word, the index and the times are the caller's.
   */
  private claim(hash: number, lo: Int32Array, hi: Int32Array, ports: number, synSeq: number): number {
    if (this.freeCount === 0) {
      if (this.slots.capacity < this.options.maxFlows) this.grow(Math.min(this.slots.capacity * 2, this.options.maxFlows));
      else this.evictLeastRecent();
    }
    const slot = this.freeSlots[--this.freeCount];
    if (slot >= this.highWater) this.highWater = slot + 1;
    this.live++;
    if (this.live > this.stats.peakLive) this.stats.peakLive = this.live;
    this.stats.flowsStarted++;
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    w[s + W_ADDRESS] = lo[0];
    w[s + W_ADDRESS + 1] = lo[1];
    w[s + W_ADDRESS + 2] = lo[2];
    w[s + W_ADDRESS + 3] = lo[3];
    w[s + W_ADDRESS + 4] = hi[0];
    w[s + W_ADDRESS + 5] = hi[1];
    w[s + W_ADDRESS + 6] = hi[2];
    w[s + W_ADDRESS + 7] = hi[3];
    w[s + W_PORTS] = ports;
    w[s + W_HASH] = hash;
    w[s + W_SYN_SEQ] = synSeq;
    w[s + W_LATER_FRAGMENTS] = 0;
    w[s + W_PACKETS] = w[s + W_PACKETS + 1] = 0;
    doubles[d + D_BYTES] = doubles[d + D_BYTES + 1] = 0;
    doubles[d + D_ID] = this.nextId++;
    this.payloads.reset(slot);
    return slot;
  }

  private trackTcpFlags(slot: number, dir: number, flags: number, seq: number): void {
    const w = this.slots.words;
    const m = slot * WORDS + W_META;
    let meta = w[m];
    if (flags & TCP_SYN) {
      if (flags & TCP_ACK) {
        meta |= dir === 0 ? META_SYNACK_LO : META_SYNACK_HI;
        // A SYN-ACK outranks the port guess of a flow picked up mid-stream.
        if ((meta & META_EVIDENCE_MASK) >>> META_EVIDENCE_SHIFT === EVIDENCE_PORT) {
          meta = (meta & ~(META_EVIDENCE_MASK | META_INITIATOR_HI)) | (EVIDENCE_SYN_ACK << META_EVIDENCE_SHIFT) | (dir === 0 ? META_INITIATOR_HI : 0);
        }
      } else {
        if ((meta & SYN_ANY) === 0) w[slot * WORDS + W_SYN_SEQ] = seq;
        meta |= dir === 0 ? META_SYN_LO : META_SYN_HI;
      }
      this.payloads.synSeen(slot, dir, seq);
    }
    if (flags & TCP_FIN) meta |= dir === 0 ? META_FIN_LO : META_FIN_HI;
    if (flags & TCP_RST) meta |= META_RST;
    w[m] = meta;
  }

  /** Ends a flow found past its idle timeout before a sweep took it (a closed connection says how it closed). */
  private endIdle(slot: number): void {
    this.emit(slot, this.closedReasonOf(slot) ?? 'idle-timeout');
  }

  /** Ends a flow because a new connection opens on its 5-tuple: a port reuse unless it had closed. */
  private endForNewConnection(slot: number): void {
    const closed = this.closedReasonOf(slot);
    if (closed === null) this.stats.portReuses++;
    this.emit(slot, closed ?? 'port-reuse');
  }

  /** 'rst' or 'fin' for a TCP connection that has closed, else null. */
  private closedReasonOf(slot: number): FlowEndReason | null {
    const meta = this.slots.words[slot * WORDS + W_META];
    if (meta & META_RST) return 'rst';
    return (meta & FIN_BOTH) === FIN_BOTH ? 'fin' : null;
  }

  private idleTimeoutOf(slot: number): number {
    const meta = this.slots.words[slot * WORDS + W_META];
    if ((meta & META_PROTOCOL_MASK) !== IpProtocol.Tcp) return this.options.udpIdleTimeout;
    return meta & META_RST || (meta & FIN_BOTH) === FIN_BOTH ? this.options.closedTimeout : this.options.tcpIdleTimeout;
  }

  /**
   * Emits the flows idle past their timeout: one linear pass over the slots every SWEEP_INTERVAL,
   * paused after `sweepBatch` emissions or `scanBatch` slots until continueSweep().
   */
  private sweep(now: number): void {
    this.sweepCursor = 0;
    this.sweepTime = now;
    // No packet starts another pass while this one is paused.
    this.nextSweep = Infinity;
    this.continueSweep();
  }

  /** A sweep paused at its batch bound waits for continueSweep(). */
  get sweepPending(): boolean {
    return this.sweepCursor >= 0;
  }

  /** Runs the next batch of a paused sweep; returns whether one is still pending after it. */
  continueSweep(): boolean {
    if (this.sweepCursor < 0) return false;
    const now = this.sweepTime;
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    let emitted = 0;
    const end = Math.min(this.highWater, this.sweepCursor + this.options.scanBatch);
    let slot = this.sweepCursor;
    for (; slot < end; slot++) {
      if ((w[slot * WORDS + W_META] & META_IN_USE) === 0) continue;
      if (now - doubles[slot * DOUBLES + D_LAST_SEEN] > this.idleTimeoutOf(slot)) {
        this.emit(slot, this.closedReasonOf(slot) ?? 'idle-timeout');
        if (++emitted >= this.options.sweepBatch) {
          this.sweepCursor = slot + 1;
          return true;
        }
      }
    }
    if (slot < this.highWater) {
      this.sweepCursor = slot;
      return true;
    }
    this.sweepCursor = -1;
    this.nextSweep = now + SWEEP_INTERVAL;
    return false;
  }

  /**
   * At the bound: evicts (and emits) the least recently active flows, about evictFraction of the
   * table in one pass, so a flood costs one scan per many new flows rather than one each.
   */
  private evictLeastRecent(): void {
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    const capacity = this.slots.capacity;
    // Estimate the last-seen time below which evictFraction of flows lie, from a strided sample.
    const sample: number[] = [];
    const stride = Math.max(1, Math.floor(capacity / 1024));
    for (let slot = 0; slot < capacity; slot += stride) sample.push(doubles[slot * DOUBLES + D_LAST_SEEN]);
    sample.sort((a, b) => a - b);
    const threshold = sample[Math.min(sample.length - 1, Math.floor(sample.length * this.options.evictFraction))];
    for (let slot = 0; slot < capacity; slot++) {
      if (w[slot * WORDS + W_META] & META_IN_USE && doubles[slot * DOUBLES + D_LAST_SEEN] <= threshold) {
        this.stats.evicted++;
        this.emit(slot, 'evicted');
      }
    }
  }

  /**
   * Reports a long-lived flow so far and keeps counting it in a continuation record (whose first
   * and last seen the caller writes).
   */
  private splitAtActiveTimeout(slot: number): void {
    this.stats.activeTimeouts++;
    this.sink.onFlow(this.record(slot, 'active-timeout'));
    this.stats.flowsEmitted++;
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    w[s + W_META] |= META_CONTINUED;
    w[s + W_PACKETS] = w[s + W_PACKETS + 1] = 0;
    w[s + W_LATER_FRAGMENTS] = 0;
    doubles[d + D_BYTES] = doubles[d + D_BYTES + 1] = 0;
    doubles[d + D_ID] = this.nextId++;
  }

  private emit(slot: number, reason: FlowEndReason): void {
    this.sink.onFlow(this.record(slot, reason));
    this.stats.flowsEmitted++;
    this.stats.payloadBudgetExhausted = this.payloads.exhausted;
    this.index.remove(slot);
    this.payloads.release(slot);
    this.slots.words[slot * WORDS + W_META] = 0;
    this.freeSlots[this.freeCount++] = slot;
    this.live--;
  }

  private record(slot: number, endReason: FlowEndReason): FlowRecord {
    const w = this.slots.words;
    const doubles = this.slots.doubles;
    const s = slot * WORDS;
    const d = slot * DOUBLES;
    const meta = w[s + W_META];
    const clientDir = meta & META_INITIATOR_HI ? 1 : 0;
    const ports = w[s + W_PORTS];
    const lower = { address: this.addresses.text(w, s + W_ADDRESS), port: ports >>> 16 };
    const higher = { address: this.addresses.text(w, s + W_ADDRESS + 4), port: ports & 0xffff };
    const protocol = meta & META_PROTOCOL_MASK;
    return {
      id: doubles[d + D_ID],
      ipVersion: meta & META_IPV6 ? 6 : 4,
      protocol,
      client: clientDir === 0 ? lower : higher,
      server: clientDir === 0 ? higher : lower,
      initiatorEvidence: EVIDENCE[(meta & META_EVIDENCE_MASK) >>> META_EVIDENCE_SHIFT],
      firstSeen: doubles[d + D_FIRST_SEEN],
      lastSeen: doubles[d + D_LAST_SEEN],
      toServer: this.direction(slot, clientDir),
      toClient: this.direction(slot, clientDir ^ 1),
      tcpState: protocol === IpProtocol.Tcp ? tcpStateOf(meta) : 'none',
      endReason,
      continued: (meta & META_CONTINUED) !== 0,
      laterFragments: w[s + W_LATER_FRAGMENTS] >>> 0,
      ...(isIcmp(protocol) ? { icmp: { type: w[s + W_SYN_SEQ] >>> 8, code: w[s + W_SYN_SEQ] & 0xff } } : {}),
      tunnel: this.tunnels.used ? this.tunnels.carriedBy(slot, clientDir, this.addresses) : undefined,
      encapsulates: this.tunnels.used ? this.tunnels.carries(slot) : undefined,
    };
  }

  private direction(slot: number, dir: number): FlowDirection {
    return {
      packets: this.slots.words[slot * WORDS + W_PACKETS + dir] >>> 0,
      bytes: this.slots.doubles[slot * DOUBLES + D_BYTES + dir],
      payload: this.payloads.view(slot, dir),
      payloadStop: this.payloads.stopOf(slot, dir),
    };
  }

  private grow(capacity: number): void {
    const old = this.slots.capacity;
    this.slots.grow(capacity);
    this.tunnels.grow(capacity);
    const live: number[] = [];
    for (let slot = 0; slot < old; slot++) if (this.slots.words[slot * WORDS + W_META] & META_IN_USE) live.push(slot);
    this.index.rebuild(live);
    const free = new Int32Array(capacity);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    this.freeSlots = free;
    // The free list is a stack: push the new slots in reverse so low slots are handed out first.
    for (let slot = capacity - 1; slot >= old; slot--) this.freeSlots[this.freeCount++] = slot;
  }
}

function isIcmp(protocol: number): boolean {
  return protocol === IpProtocol.Icmp || protocol === IpProtocol.Icmpv6;
}

/** Orders endpoints by address words, then port: <0 if a is lower. */
function compareEndpoints(a: Int32Array, aPort: number, b: Int32Array, bPort: number): number {
  // Word 3 first: for IPv4 (and most IPv6) that is where addresses differ.
  for (let i = 3; i >= 0; i--) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return aPort - bPort;
}

/** Who opened the flow, judged from its first packet: [direction of the initiator, evidence]. */
function chooseInitiator(p: DecodedPacket, dir: number): [number, number] {
  if (p.protocol !== IpProtocol.Tcp) return [dir, EVIDENCE_FIRST_PACKET];
  const synAck = p.tcpFlags & (TCP_SYN | TCP_ACK);
  if (synAck === TCP_SYN) return [dir, EVIDENCE_SYN];
  if (synAck === (TCP_SYN | TCP_ACK)) return [dir ^ 1, EVIDENCE_SYN_ACK];
  return [senderIsServerByPort(p.srcPort, p.dstPort) ? dir ^ 1 : dir, EVIDENCE_PORT];
}

/**
 * Who opened an observed flow, from its entry's evidence: direction | evidence << 1 (lower endpoint
 * 0). The same order of evidence as chooseInitiator: a SYN, else a SYN-ACK, else the port guess; a
 * connectionless flow's initiator is the sender of its first packet, A.
 */
function observedInitiator(o: FlowObservation, aIsLower: boolean): number {
  const dirA = aIsLower ? 0 : 1;
  if (o.protocol !== IpProtocol.Tcp) return dirA | (EVIDENCE_FIRST_PACKET << 1);
  const syn = o.synFrom ?? (o.aToB.tcpFlags & SEEN_SYN ? 'a' : o.bToA.tcpFlags & SEEN_SYN ? 'b' : undefined);
  if (syn !== undefined) return (syn === 'a' ? dirA : dirA ^ 1) | (EVIDENCE_SYN << 1);
  if (o.bToA.tcpFlags & SEEN_SYN_ACK) return dirA | (EVIDENCE_SYN_ACK << 1);
  if (o.aToB.tcpFlags & SEEN_SYN_ACK) return (dirA ^ 1) | (EVIDENCE_SYN_ACK << 1);
  return (senderIsServerByPort(o.portA, o.portB) ? dirA ^ 1 : dirA) | (EVIDENCE_PORT << 1);
}

/** The W_SYN_SEQ word of an observed flow: an ICMP flow's first type << 8 | code, else 0. */
function observedIcmp(o: FlowObservation): number {
  return isIcmp(o.protocol) && o.icmp !== undefined ? (o.icmp.type << 8) | o.icmp.code : 0;
}

/** Four address words (as DecodedPacket holds them) from 16 bytes in network order. */
function readAddressWords(bytes: Uint8Array, words: Int32Array): void {
  for (let i = 0; i < 4; i++) words[i] = (bytes[4 * i] << 24) | (bytes[4 * i + 1] << 16) | (bytes[4 * i + 2] << 8) | bytes[4 * i + 3];
}

/** Mid-stream guess: a well-known port (< 1024) is the server's, else the lower port is. */
function senderIsServerByPort(srcPort: number, dstPort: number): boolean {
  const srcWellKnown = srcPort < 1024;
  const dstWellKnown = dstPort < 1024;
  if (srcWellKnown !== dstWellKnown) return srcWellKnown;
  return srcPort < dstPort;
}

function tcpStateOf(meta: number): TcpState {
  if (meta & META_RST) return 'reset';
  if ((meta & FIN_BOTH) === FIN_BOTH) return 'closed';
  if (meta & FIN_BOTH) return 'fin-wait';
  if (meta & SYNACK_ANY) return 'established';
  return meta & SYN_ANY ? 'syn-sent' : 'mid-stream';
}
