import { Fragment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { IpProtocol } from '../decode/ip-protocol.js';
import { TunnelType } from '../decode/tunnel-header.js';
import { AddressTexts } from './address-texts.js';
import { FlowIndex, NO_SLOT } from './flow-index.js';
import type { FlowDirection, FlowEndReason, FlowRecord, FlowSink, InitiatorEvidence, TcpState } from './flow-record.js';
import {
  D_BYTES, D_FIRST_SEEN, D_ID, D_LAST_SEEN, DOUBLES, FlowSlots,
  META_CONTINUED, META_EVIDENCE_MASK, META_EVIDENCE_SHIFT, META_FIN_HI, META_FIN_LO, META_IN_USE, META_INITIATOR_HI,
  META_EVIDENCE_CHANGED, META_IPV6, PAYLOAD_DIR_SHIFT, PAYLOAD_STOP_MASK, META_PROTOCOL_MASK, META_RST, META_SYN_HI, META_SYN_LO, META_SYNACK_HI, META_SYNACK_LO,
  W_ADDRESS, W_HASH, W_LATER_FRAGMENTS, W_META, W_PACKETS, W_PAYLOAD_FILL, W_PAYLOAD_STATE, W_PORTS, W_SYN_SEQ, WORDS,
} from './flow-slots.js';
import { FlowTunnels } from './flow-tunnels.js';
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
        this.emit(slot, this.closedReasonOf(slot) ?? 'idle-timeout');
        slot = NO_SLOT;
      } else if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && this.startsNewConnection(slot, dir, p.tcpSeq)) {
        const closed = this.closedReasonOf(slot);
        if (closed === null) this.stats.portReuses++;
        this.emit(slot, closed ?? 'port-reuse');
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
      if ((w[m] & META_EVIDENCE_CHANGED) === 0) continue;
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
    // The word holds the SYN's sequence number for TCP; for ICMP, the first message's type and code.
    w[s + W_SYN_SEQ] = isIcmp(protocol) ? (p.icmpType << 8) | p.icmpCode : 0;
    w[s + W_LATER_FRAGMENTS] = 0;
    w[s + W_PACKETS] = w[s + W_PACKETS + 1] = 0;
    doubles[d + D_BYTES] = doubles[d + D_BYTES + 1] = 0;
    doubles[d + D_ID] = this.nextId++;
    this.payloads.reset(slot);
    if (this.tunnels.used || p.tunnelType !== TunnelType.None) this.tunnels.start(slot, p, dir);
    const [initiatorDir, evidence] = chooseInitiator(p, dir);
    w[s + W_META] = protocol | META_IN_USE | (p.ipVersion === 6 ? META_IPV6 : 0) | (initiatorDir ? META_INITIATOR_HI : 0) | (evidence << META_EVIDENCE_SHIFT);
    this.index.insert(slot);
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
