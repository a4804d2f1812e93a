import { Fragment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/decoded-packet.js';
import { IpProtocol } from '../decode/ip-protocol.js';
import { formatAddress } from '../decode/ip-address.js';
import { FlowKeyIndex } from './flow-key-index.js';
import type { FlowEndReason, FlowRecord, FlowSink, InitiatorEvidence, TcpState } from './flow-record.js';
import { PayloadPrefixes } from './payload-prefixes.js';
import { TimeoutLists } from './timeout-lists.js';
import { grown } from './typed-arrays.js';

export interface FlowTableOptions {
  /** Hard bound on live flows; beyond it the least recently active flow is evicted (and emitted). */
  readonly maxFlows: number;
  /** Idle timeout for open TCP connections, seconds. */
  readonly tcpIdleTimeout: number;
  /** Idle timeout for UDP and other protocols, seconds. */
  readonly udpIdleTimeout: number;
  /** How long a closed (FIN both ways, or RST) connection lingers for stray packets, seconds. */
  readonly closedTimeout: number;
  /** A flow longer than this is emitted and continued in a new record, seconds. */
  readonly activeTimeout: number;
  /** Payload bytes kept per direction for the TLS/DNS parsers. */
  readonly payloadLimit: number;
}

export const DEFAULT_FLOW_TABLE_OPTIONS: FlowTableOptions = {
  maxFlows: 1_000_000,
  tcpIdleTimeout: 300,
  udpIdleTimeout: 60,
  closedTimeout: 10,
  activeTimeout: 1800,
  payloadLimit: 512,
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
}

const INITIAL_CAPACITY = 4096;
const NO_SLOT = -1;

// Timeout classes, one list each.
const LIST_TCP_OPEN = 0;
const LIST_CONNECTIONLESS = 1;
const LIST_CLOSED = 2;

// Per-slot TCP flag bits; "lo"/"hi" are the canonical lower/higher endpoint.
const SYN_LO = 1 << 0;
const SYN_HI = 1 << 1;
const SYNACK_LO = 1 << 2;
const SYNACK_HI = 1 << 3;
const FIN_LO = 1 << 4;
const FIN_HI = 1 << 5;
const RST = 1 << 6;
const CONTINUED = 1 << 7;
const SYN_ANY = SYN_LO | SYN_HI;
const FIN_BOTH = FIN_LO | FIN_HI;

const EVIDENCE: readonly InitiatorEvidence[] = ['syn', 'syn-ack', 'port-heuristic', 'first-packet'];
const EVIDENCE_SYN = 0;
const EVIDENCE_SYN_ACK = 1;
const EVIDENCE_PORT = 2;
const EVIDENCE_FIRST_PACKET = 3;

/**
 * The bidirectional flow table. Packets come in decoded; finished flows go out to a FlowSink as
 * FlowRecords. All per-flow state lives in typed arrays indexed by slot, so a packet for an
 * existing flow allocates nothing; memory grows by doubling up to `maxFlows` slots.
 */
export class FlowTable {
  readonly stats: FlowTableStats = { packets: 0, flowsStarted: 0, flowsEmitted: 0, evicted: 0, portReuses: 0, activeTimeouts: 0, peakLive: 0 };
  private readonly options: FlowTableOptions;
  private capacity = 0;
  private live = 0;
  /** The latest packet time seen: timeouts run on capture time, not wall time. */
  private clock = 0;
  private nextId = 1;
  private readonly keys: FlowKeyIndex;
  private readonly lists: TimeoutLists;
  private readonly payloads: PayloadPrefixes;
  private readonly timeouts: Float64Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private inUse: Uint8Array;
  private ids: Float64Array;
  private firstSeen: Float64Array;
  private lastSeen: Float64Array;
  /** Per slot and direction (slot*2 + 0 for lo->hi, + 1 for hi->lo). */
  private packets: Float64Array;
  private bytes: Float64Array;
  private payloadBytes: Float64Array;
  private tcpFlags: Uint8Array;
  /** 0: the lower endpoint initiated; 1: the higher one did. */
  private initiator: Uint8Array;
  private evidence: Uint8Array;
  private synSeq: Uint32Array;
  private ipVersions: Uint8Array;
  private laterFragments: Uint32Array;

  constructor(private readonly sink: FlowSink, options: Partial<FlowTableOptions> = {}) {
    this.options = { ...DEFAULT_FLOW_TABLE_OPTIONS, ...options };
    const capacity = Math.min(INITIAL_CAPACITY, this.options.maxFlows);
    this.keys = new FlowKeyIndex(capacity);
    this.lists = new TimeoutLists(capacity, 3);
    this.payloads = new PayloadPrefixes(capacity, this.options.payloadLimit);
    this.timeouts = Float64Array.of(this.options.tcpIdleTimeout, this.options.udpIdleTimeout, this.options.closedTimeout);
    this.freeSlots = new Int32Array(0);
    this.inUse = new Uint8Array(0);
    this.ids = this.firstSeen = this.lastSeen = this.packets = this.bytes = this.payloadBytes = new Float64Array(0);
    this.tcpFlags = this.initiator = this.evidence = this.ipVersions = new Uint8Array(0);
    this.synSeq = this.laterFragments = new Uint32Array(0);
    this.allocate(capacity);
  }

  get liveFlows(): number {
    return this.live;
  }

  /** Accounts one decoded packet (DecodeReason.Ok) to its flow. */
  addPacket(p: DecodedPacket, data: Buffer, timestampSeconds: number, timestampNanos: number): void {
    const ts = timestampSeconds + timestampNanos * 1e-9;
    if (ts > this.clock) {
      this.clock = ts;
      this.expire(ts);
    }
    this.stats.packets++;
    const src = p.src;
    const dst = p.dst;
    const srcIsLower = compareEndpoints(src, p.srcPort, dst, p.dstPort) <= 0;
    const lo = srcIsLower ? src : dst;
    const hi = srcIsLower ? dst : src;
    const dir = srcIsLower ? 0 : 1;
    const ports = (srcIsLower ? (p.srcPort << 16) | p.dstPort : (p.dstPort << 16) | p.srcPort) >>> 0;
    const protocol = p.protocol;
    const hash = FlowKeyIndex.hash(protocol, lo, hi, ports);
    let slot = this.keys.find(hash, protocol, lo, hi, ports);
    const isTcp = protocol === IpProtocol.Tcp;
    const flags = p.tcpFlags;
    const isSyn = isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;

    if (slot !== NO_SLOT) {
      if (isSyn && this.startsNewConnection(slot, dir, p.tcpSeq)) {
        const closed = this.closedReasonOf(slot);
        if (closed === null) this.stats.portReuses++;
        this.emit(slot, closed ?? 'port-reuse');
        slot = NO_SLOT;
      } else if (ts - this.firstSeen[slot] > this.options.activeTimeout) {
        this.splitAtActiveTimeout(slot, ts);
      }
    }
    if (slot === NO_SLOT) slot = this.start(hash, protocol, lo, hi, ports, dir, p, ts);

    const d = slot * 2 + dir;
    this.packets[d]++;
    this.bytes[d] += p.ipLength;
    this.payloadBytes[d] += p.payloadLength;
    if (ts > this.lastSeen[slot]) this.lastSeen[slot] = ts;
    if (p.fragment === Fragment.Later) {
      this.laterFragments[slot]++;
      this.lists.touch(slot, isTcp ? this.tcpListOf(slot) : LIST_CONNECTIONLESS);
      return;
    }
    if (isTcp) {
      this.trackTcp(slot, dir, flags, p.tcpSeq);
      if (p.payloadLength > 0) this.payloads.addSegment(slot, dir, p.tcpSeq, data, p.payloadOffset, p.payloadCaptured, p.payloadLength);
      this.lists.touch(slot, this.tcpListOf(slot));
    } else {
      if (p.payloadLength > 0) this.payloads.addDatagram(slot, dir, data, p.payloadOffset, p.payloadCaptured, p.payloadLength);
      this.lists.touch(slot, LIST_CONNECTIONLESS);
    }
  }

  /**
   * Emits every live flow (end of a capture, or shutdown). Connections already closed say how
   * (fin or rst) rather than that the capture ended.
   */
  flush(): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.inUse[slot]) this.emit(slot, this.closedReasonOf(slot) ?? 'end-of-capture');
    }
  }

  /**
   * A SYN on a known 5-tuple is a new connection if the old one is closed, or if it carries a
   * different initial sequence number than the SYN that opened it (a retransmitted SYN does not).
   */
  private startsNewConnection(slot: number, dir: number, seq: number): boolean {
    const f = this.tcpFlags[slot];
    if (f & (RST | FIN_LO | FIN_HI)) return true;
    const synThisWay = dir === 0 ? SYN_LO : SYN_HI;
    if (f & synThisWay) return this.synSeq[slot] !== seq;
    if (f & SYN_ANY) return false; // simultaneous open
    // Mid-stream flow: unless a SYN-ACK already named this side the client, the SYN opens anew.
    const synAckToThisSide = dir === 0 ? SYNACK_HI : SYNACK_LO;
    return (f & synAckToThisSide) === 0;
  }

  private start(hash: number, protocol: number, lo: Uint32Array, hi: Uint32Array, ports: number, dir: number, p: DecodedPacket, ts: number): number {
    if (this.live === this.capacity) {
      if (this.capacity < this.options.maxFlows) this.allocate(Math.min(this.capacity * 2, this.options.maxFlows));
      else this.evictOne();
    }
    const slot = this.freeSlots[--this.freeCount];
    this.inUse[slot] = 1;
    this.live++;
    if (this.live > this.stats.peakLive) this.stats.peakLive = this.live;
    this.stats.flowsStarted++;
    this.keys.insert(slot, hash, protocol, lo, hi, ports);
    this.ids[slot] = this.nextId++;
    this.firstSeen[slot] = this.lastSeen[slot] = ts;
    const d = slot * 2;
    this.packets[d] = this.packets[d + 1] = 0;
    this.bytes[d] = this.bytes[d + 1] = 0;
    this.payloadBytes[d] = this.payloadBytes[d + 1] = 0;
    this.tcpFlags[slot] = 0;
    this.synSeq[slot] = 0;
    this.ipVersions[slot] = p.ipVersion;
    this.laterFragments[slot] = 0;
    this.payloads.reset(slot);
    this.chooseInitiator(slot, dir, p);
    return slot;
  }

  private chooseInitiator(slot: number, dir: number, p: DecodedPacket): void {
    if (p.protocol === IpProtocol.Tcp) {
      const synAck = p.tcpFlags & (TCP_SYN | TCP_ACK);
      if (synAck === TCP_SYN) {
        this.setInitiator(slot, dir, EVIDENCE_SYN);
      } else if (synAck === (TCP_SYN | TCP_ACK)) {
        this.setInitiator(slot, dir ^ 1, EVIDENCE_SYN_ACK);
      } else {
        this.setInitiator(slot, senderIsServerByPort(p.srcPort, p.dstPort) ? dir ^ 1 : dir, EVIDENCE_PORT);
      }
    } else {
      this.setInitiator(slot, dir, EVIDENCE_FIRST_PACKET);
    }
  }

  private setInitiator(slot: number, dir: number, evidence: number): void {
    this.initiator[slot] = dir;
    this.evidence[slot] = evidence;
  }

  private trackTcp(slot: number, dir: number, flags: number, seq: number): void {
    let f = this.tcpFlags[slot];
    if (flags & TCP_SYN) {
      if (flags & TCP_ACK) {
        f |= dir === 0 ? SYNACK_LO : SYNACK_HI;
        // A SYN-ACK outranks the port guess of a flow picked up mid-stream.
        if (this.evidence[slot] === EVIDENCE_PORT) this.setInitiator(slot, dir ^ 1, EVIDENCE_SYN_ACK);
      } else {
        if ((f & SYN_ANY) === 0) this.synSeq[slot] = seq;
        f |= dir === 0 ? SYN_LO : SYN_HI;
      }
      this.payloads.synSeen(slot, dir, seq);
    }
    if (flags & TCP_FIN) f |= dir === 0 ? FIN_LO : FIN_HI;
    if (flags & TCP_RST) f |= RST;
    this.tcpFlags[slot] = f;
  }

  /** 'rst' or 'fin' for a TCP connection that has closed, else null. */
  private closedReasonOf(slot: number): FlowEndReason | null {
    const f = this.tcpFlags[slot];
    if (f & RST) return 'rst';
    return (f & FIN_BOTH) === FIN_BOTH ? 'fin' : null;
  }

  private tcpListOf(slot: number): number {
    const f = this.tcpFlags[slot];
    return f & RST || (f & FIN_BOTH) === FIN_BOTH ? LIST_CLOSED : LIST_TCP_OPEN;
  }

  private expire(now: number): void {
    for (let list = 0; list < 3; list++) {
      const timeout = this.timeouts[list];
      for (let slot = this.lists.head(list); slot !== NO_SLOT && now - this.lastSeen[slot] > timeout; slot = this.lists.head(list)) {
        this.emit(slot, this.closedReasonOf(slot) ?? 'idle-timeout');
      }
    }
  }

  /** Frees a slot for a new flow: a closed connection first, else the least recently active. */
  private evictOne(): void {
    let victim = this.lists.head(LIST_CLOSED);
    if (victim === NO_SLOT) {
      const tcp = this.lists.head(LIST_TCP_OPEN);
      const other = this.lists.head(LIST_CONNECTIONLESS);
      victim = tcp === NO_SLOT ? other : other === NO_SLOT || this.lastSeen[tcp] <= this.lastSeen[other] ? tcp : other;
    }
    this.stats.evicted++;
    this.emit(victim, 'evicted');
  }

  /** Reports a long-lived flow so far and keeps counting it in a continuation record. */
  private splitAtActiveTimeout(slot: number, ts: number): void {
    this.stats.activeTimeouts++;
    this.sink.onFlow(this.record(slot, 'active-timeout'));
    this.stats.flowsEmitted++;
    this.ids[slot] = this.nextId++;
    this.firstSeen[slot] = this.lastSeen[slot] = ts;
    const d = slot * 2;
    this.packets[d] = this.packets[d + 1] = 0;
    this.bytes[d] = this.bytes[d + 1] = 0;
    this.payloadBytes[d] = this.payloadBytes[d + 1] = 0;
    this.laterFragments[slot] = 0;
    this.tcpFlags[slot] |= CONTINUED;
  }

  private emit(slot: number, reason: FlowEndReason): void {
    this.sink.onFlow(this.record(slot, reason));
    this.stats.flowsEmitted++;
    this.keys.remove(slot);
    this.lists.remove(slot);
    this.inUse[slot] = 0;
    this.freeSlots[this.freeCount++] = slot;
    this.live--;
  }

  private record(slot: number, endReason: FlowEndReason): FlowRecord {
    const clientDir = this.initiator[slot];
    const words = this.keys.addressWords;
    const base = this.keys.addressWordsAt(slot);
    const loEndpoint = { address: formatAddress(words, base), port: this.keys.lowerPortOf(slot) };
    const hiEndpoint = { address: formatAddress(words, base + 4), port: this.keys.higherPortOf(slot) };
    const protocol = this.keys.protocolOf(slot);
    return {
      id: this.ids[slot],
      ipVersion: this.ipVersions[slot] === 6 ? 6 : 4,
      protocol,
      client: clientDir === 0 ? loEndpoint : hiEndpoint,
      server: clientDir === 0 ? hiEndpoint : loEndpoint,
      initiatorEvidence: EVIDENCE[this.evidence[slot]],
      firstSeen: this.firstSeen[slot],
      lastSeen: this.lastSeen[slot],
      toServer: this.direction(slot, clientDir),
      toClient: this.direction(slot, clientDir ^ 1),
      tcpState: protocol === IpProtocol.Tcp ? tcpStateOf(this.tcpFlags[slot]) : 'none',
      endReason,
      continued: (this.tcpFlags[slot] & CONTINUED) !== 0,
      laterFragments: this.laterFragments[slot],
    };
  }

  private direction(slot: number, dir: number): FlowRecord['toServer'] {
    const d = slot * 2 + dir;
    return {
      packets: this.packets[d],
      bytes: this.bytes[d],
      payloadBytes: this.payloadBytes[d],
      payload: this.payloads.copyOut(slot, dir),
      payloadStop: this.payloads.stopOf(slot, dir),
    };
  }

  private allocate(capacity: number): void {
    const old = this.capacity;
    if (old > 0) {
      const live: number[] = [];
      for (let slot = 0; slot < old; slot++) if (this.inUse[slot]) live.push(slot);
      this.keys.grow(capacity, live);
      this.lists.grow(capacity);
      this.payloads.grow(capacity);
    }
    this.inUse = grown(this.inUse, capacity);
    this.ids = grown(this.ids, capacity);
    this.firstSeen = grown(this.firstSeen, capacity);
    this.lastSeen = grown(this.lastSeen, capacity);
    this.packets = grown(this.packets, capacity * 2);
    this.bytes = grown(this.bytes, capacity * 2);
    this.payloadBytes = grown(this.payloadBytes, capacity * 2);
    this.tcpFlags = grown(this.tcpFlags, capacity);
    this.initiator = grown(this.initiator, capacity);
    this.evidence = grown(this.evidence, capacity);
    this.synSeq = grown(this.synSeq, capacity);
    this.ipVersions = grown(this.ipVersions, capacity);
    this.laterFragments = grown(this.laterFragments, capacity);
    this.freeSlots = grown(this.freeSlots, capacity);
    // Hand out low slots first: the free list is a stack, so push the new slots in reverse.
    for (let slot = capacity - 1; slot >= old; slot--) this.freeSlots[this.freeCount++] = slot;
    this.capacity = capacity;
  }
}

/** Orders endpoints by address words, then port: <0 if a is lower. */
function compareEndpoints(a: Uint32Array, aPort: number, b: Uint32Array, bPort: number): number {
  for (let i = 3; i >= 0; i--) {
    // Word 3 first: for IPv4 (and most IPv6) that is where addresses differ.
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return aPort - bPort;
}

/** Mid-stream guess: a well-known port (< 1024) is the server's, else the lower port is. */
function senderIsServerByPort(srcPort: number, dstPort: number): boolean {
  const srcWellKnown = srcPort < 1024;
  const dstWellKnown = dstPort < 1024;
  if (srcWellKnown !== dstWellKnown) return srcWellKnown;
  return srcPort < dstPort;
}

function tcpStateOf(f: number): TcpState {
  if (f & RST) return 'reset';
  if ((f & FIN_BOTH) === FIN_BOTH) return 'closed';
  if (f & FIN_BOTH) return 'fin-wait';
  if (f & SYN_ANY) return f & (SYNACK_LO | SYNACK_HI) ? 'established' : 'syn-sent';
  return f & (SYNACK_LO | SYNACK_HI) ? 'established' : 'mid-stream';
}
