/**
 * The loader's decoded events into a flow table: each Flow event becomes a FlowObservation
 * (FlowTable.addObservation), each payload chunk a PayloadChunk (addPayloadChunk); Hello,
 * Counters, InterfaceChange and Error are kept for the agent to export. One observation object
 * and its two address arrays are reused for every event: the table copies what it keeps.
 */
import { parseAddressInto } from '../net/ip-address.js';
import { IpProtocol } from '../net/ip-protocol.js';
import { icmpCounterpart } from '../decode/icmp-port-equivalents.js';
import { SEEN_FIN, SEEN_RST, SEEN_SYN, SEEN_SYN_ACK, type FlowObservation, type ObservedDirection, type PayloadChunk } from '../flow/flow-observation.js';
import type { FlowTable } from '../flow/flow-table.js';
import type { LoaderCounters, LoaderEndpoint, LoaderEvent, LoaderEventSink, LoaderFlow, LoaderFlowKey, LoaderHello, LoaderPayload } from './loader-events.js';

/** ICMP request types (echo, router solicitation, timestamp, information, address mask; src/decode/icmp-port-equivalents.ts pairs them with their replies). */
const ICMP_REQUESTS: ReadonlySet<number> = new Set([8, 10, 13, 15, 17]);
/** ICMPv6: echo, MLD query, router and neighbour solicitation, node information query, home agent discovery request. */
const ICMPV6_REQUESTS: ReadonlySet<number> = new Set([128, 130, 133, 135, 139, 144]);
/** TCP header flag bits as the loader ORs them (FIN 0x01 ... CWR 0x80). */
const TCP_FIN = 0x01;
const TCP_RST = 0x04;
/** Kernel entries remembered at most, when no Hello said the loader's --max-flows. */
const DEFAULT_ENTRIES_BOUND = 65_536;
/** What the mapper remembers of one connectionless kernel entry between its reports. */
interface EntryMemory {
  /** Its first payload chunk came from `b` (true), from `a` (false), or none yet. */
  firstChunkFromB: boolean | undefined;
}

export interface LoaderFlowMapperStats {
  flows: number;
  chunks: number;
  /** Events whose endpoint address does not parse (the decoder checks lengths, so never expected): dropped. */
  unmapped: number;
  /** Error events of the loader (an interface it could not attach to). */
  loaderErrors: number;
}

export interface LoaderFlowMapperOptions {
  /**
   * The time a payload chunk is taken to have been seen (a chunk carries none): seconds since the
   * epoch. Live, the wall clock (the loader's times are Unix time too); a replay passes the
   * recording's clock.
   */
  readonly now?: () => number;
  /** Told each Error event's message (the agent logs it). */
  readonly onLoaderError?: (message: string) => void;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The kernel side's cumulative counters: the event's without its kind and its one gauge (mapEntries). */
export type KernelCounters = Omit<LoaderCounters, 'kind' | 'mapEntries'>;

const NO_KERNEL_COUNTS: KernelCounters = {
  packets: 0, duplicateHook: 0, ringReserveFailed: 0, mapFull: 0, evicted: 0, notIp: 0, truncated: 0, fragments: 0, fragmentWithoutFirst: 0, tooManyExtHeaders: 0,
  reusedTuples: 0, reuseNotSplit: 0, lateAfterClose: 0,
};

export class LoaderFlowMapper implements LoaderEventSink {
  readonly stats: LoaderFlowMapperStats = { flows: 0, chunks: 0, unmapped: 0, loaderErrors: 0 };
  /** The Hello of the running loader (attach mode, map sizes), null before one came. */
  hello: LoaderHello | null = null;
  /** The kernel side's latest loss and parser counters (cumulative since the running loader started). */
  kernel: LoaderCounters | null = null;
  /** The last counters of the loaders that ran before the running one, added up. */
  private earlierKernels: KernelCounters = NO_KERNEL_COUNTS;
  /** Interfaces our programs run on now, by index. */
  readonly interfaces = new Map<number, string>();
  private readonly now: () => number;
  private readonly onLoaderError: (message: string) => void;
  private readonly addressA = new Uint8Array(16);
  private readonly addressB = new Uint8Array(16);
  /** The texts addressA and addressB hold (undefined: not an address, or none yet). */
  private textA: string | undefined;
  private textB: string | undefined;
  private readonly aToB: Writable<ObservedDirection> = { packets: 0, bytes: 0, tcpFlags: 0 };
  private readonly bToA: Writable<ObservedDirection> = { packets: 0, bytes: 0, tcpFlags: 0 };
  private readonly observation: Writable<FlowObservation> = {
    ipVersion: 4, protocol: 0, addressA: this.addressA, portA: 0, addressB: this.addressB, portB: 0,
    firstSeen: 0, lastSeen: 0, aToB: this.aToB, bToA: this.bToA, synFrom: undefined, icmp: undefined, ended: false,
  };
  private readonly chunk: Writable<PayloadChunk> = {
    ipVersion: 4, protocol: 0, addressA: this.addressA, portA: 0, addressB: this.addressB, portB: 0,
    fromB: false, offset: 0, bytes: Buffer.alloc(0), length: 0, time: 0,
  };
  private readonly icmp = { type: 0, code: 0 };
  /** Live connectionless kernel entries by key text, least recently reported first. */
  private readonly entries = new Map<string, EntryMemory>();

  constructor(private readonly table: FlowTable, options: LoaderFlowMapperOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    this.onLoaderError = options.onLoaderError ?? (() => {});
  }

  /** Takes one decoded event (LoaderStreamDecoder's onEvent). */
  handle(event: LoaderEvent): void {
    switch (event.kind) {
      case 'flow':
        this.addFlow(event);
        break;
      case 'payload':
        this.addPayload(event);
        break;
      case 'counters':
        this.kernel = event;
        break;
      case 'interface':
        if (event.attached) this.interfaces.set(event.ifIndex, event.name);
        else this.interfaces.delete(event.ifIndex);
        break;
      case 'hello':
        // A new loader: new kernel entries and counters from zero, interfaces attached anew.
        if (this.kernel !== null) this.earlierKernels = kernelTotals(this.earlierKernels, this.kernel);
        this.kernel = null;
        this.hello = event;
        this.interfaces.clear();
        this.entries.clear();
        break;
      case 'error':
        this.stats.loaderErrors++;
        this.onLoaderError(event.message);
        break;
    }
  }

  /** Entries in the running loader's flow map at its last sweep (0 before its first counters). */
  mapEntries(): number {
    return this.kernel?.mapEntries ?? 0;
  }

  /** The kernel side's counters over every loader run (restarts start the kernel's from zero): what metrics export as counters. */
  kernelTotals(): KernelCounters {
    return this.kernel === null ? this.earlierKernels : kernelTotals(this.earlierKernels, this.kernel);
  }

  /**
   * A Flow event as an observation. FlowObservation's A is its first packet's sender, the loader's
   * `a` only the lower end: for TCP the SYN says who opened it (synFrom), so the order stays; a
   * connectionless flow's sender is the one direction with packets, else the sender of its first
   * payload chunk, else the port rule the flow table uses mid-stream (a well-known port, else the
   * lower one, is the server's).
   */
  private addFlow(f: LoaderFlow): void {
    this.stats.flows++;
    const k = f.key;
    let swap = false;
    if (k.protocol !== IpProtocol.Tcp) {
      swap = sentFirstByB(f, this.remember(k).firstChunkFromB);
      if (f.end !== 'live') this.entries.delete(keyText(k));
    }
    const [from, to] = swap ? [k.b, k.a] : [k.a, k.b];
    if (!this.writeKey(k, from, to)) return;
    const o = this.observation;
    // The loader keeps an entry's times the same from one report to the next (a wall-clock step
    // aside: docs/ebpf.md), so they go to the table as they are.
    o.firstSeen = f.firstSeen;
    o.lastSeen = f.lastSeen;
    const fromSide = swap ? 'b' : 'a';
    setDirection(this.aToB, swap ? f.bToA : f.aToB, f.synSide === fromSide, f.synAckSide === fromSide);
    setDirection(this.bToA, swap ? f.aToB : f.bToA, f.synSide !== null && f.synSide !== fromSide, f.synAckSide !== null && f.synAckSide !== fromSide);
    o.synFrom = f.synSide === null ? undefined : f.synSide === fromSide ? 'a' : 'b';
    o.icmp = this.icmpOf(k.protocol, from.port, to.port);
    o.ended = f.end !== 'live';
    this.table.addObservation(o);
  }

  private addPayload(p: LoaderPayload): void {
    this.stats.chunks++;
    const k = p.key;
    if (!this.writeKey(k, k.a, k.b)) return;
    if (k.protocol !== IpProtocol.Tcp) {
      const memory = this.remember(k);
      memory.firstChunkFromB ??= p.bToA;
    }
    const c = this.chunk;
    c.ipVersion = k.ipVersion;
    c.protocol = k.protocol;
    c.portA = k.a.port;
    c.portB = k.b.port;
    c.fromB = p.bToA;
    c.offset = p.offset;
    // The reader's data is a Buffer already (a view of the stream); other sources' a Uint8Array.
    c.bytes = p.data instanceof Buffer ? p.data : Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);
    c.length = p.data.byteLength;
    c.time = this.now();
    this.table.addPayloadChunk(c);
  }

  /** Writes the observation's key, `from` as A; false (counted) if an address does not parse. */
  private writeKey(k: LoaderFlowKey, from: LoaderEndpoint, to: LoaderEndpoint): boolean {
    // Most events repeat the last event's addresses (the reader hands out one string per address): parsed once.
    if (from.address !== this.textA) this.textA = writeAddress(from.address, this.addressA) ? from.address : undefined;
    if (to.address !== this.textB) this.textB = writeAddress(to.address, this.addressB) ? to.address : undefined;
    if (this.textA === undefined || this.textB === undefined) {
      this.stats.unmapped++;
      return false;
    }
    const o = this.observation;
    o.ipVersion = k.ipVersion;
    o.protocol = k.protocol;
    o.portA = from.port;
    o.portB = to.port;
    return true;
  }

  /** The entry's memory, made if new, and moved to the most recently reported end. */
  private remember(k: LoaderFlowKey): EntryMemory {
    const text = keyText(k);
    let memory = this.entries.get(text);
    if (memory !== undefined) this.entries.delete(text);
    memory ??= { firstChunkFromB: undefined };
    this.entries.set(text, memory);
    if (this.entries.size > (this.hello?.maxFlows ?? DEFAULT_ENTRIES_BOUND)) this.entries.delete(this.entries.keys().next().value!);
    return memory;
  }

  /** ICMP ports are the sender's type and its counterpart's type, or (type, code) for a one-way message. */
  private icmpOf(protocol: number, fromPort: number, toPort: number): FlowObservation['icmp'] {
    if (protocol !== IpProtocol.Icmp && protocol !== IpProtocol.Icmpv6) return undefined;
    this.icmp.type = fromPort;
    this.icmp.code = icmpCounterpart(protocol, fromPort) === -1 ? toPort : 0;
    return this.icmp;
  }
}

/** Loader TCP flags (header bits) as the SEEN_* classes of one direction. */
function setDirection(d: Writable<ObservedDirection>, from: LoaderFlow['aToB'], sentSyn: boolean, sentSynAck: boolean): void {
  d.packets = from.packets;
  d.bytes = from.bytes;
  d.tcpFlags = (sentSyn ? SEEN_SYN : 0) | (sentSynAck ? SEEN_SYN_ACK : 0) | (from.tcpFlags & TCP_FIN ? SEEN_FIN : 0) | (from.tcpFlags & TCP_RST ? SEEN_RST : 0);
}

/** Reused by writeAddress: two addresses an event, no array allocated for either. */
const WORDS = new Uint32Array(4);

/** The endpoint text as 16 bytes, IPv4-mapped for IPv4, into `out`; false if it does not parse. */
function writeAddress(text: string, out: Uint8Array): boolean {
  const words = WORDS;
  if (!parseAddressInto(text, words)) return false;
  for (let i = 0; i < 4; i++) {
    out[4 * i] = words[i] >>> 24;
    out[4 * i + 1] = (words[i] >>> 16) & 0xff;
    out[4 * i + 2] = (words[i] >>> 8) & 0xff;
    out[4 * i + 3] = words[i] & 0xff;
  }
  return true;
}

/**
 * Whether a connectionless flow's first packet came from `b`: the one direction with packets,
 * else the sender of its first payload chunk, else for ICMP the side whose port is a request
 * type, else by the port rule.
 */
function sentFirstByB(f: LoaderFlow, firstChunkFromB: boolean | undefined): boolean {
  if (f.aToB.packets === 0 || f.bToA.packets === 0) return f.aToB.packets === 0;
  if (firstChunkFromB !== undefined) return firstChunkFromB;
  const requests = f.key.protocol === IpProtocol.Icmp ? ICMP_REQUESTS : f.key.protocol === IpProtocol.Icmpv6 ? ICMPV6_REQUESTS : undefined;
  if (requests !== undefined && requests.has(f.key.a.port) !== requests.has(f.key.b.port)) return requests.has(f.key.b.port);
  return serverByPort(f.key.a.port, f.key.b.port);
}

function kernelTotals(a: KernelCounters, b: KernelCounters): KernelCounters {
  const sum = { ...a };
  for (const key of Object.keys(NO_KERNEL_COUNTS) as (keyof KernelCounters)[]) sum[key] += b[key];
  return sum;
}

function keyText(k: LoaderFlowKey): string {
  return `${k.protocol} ${k.a.address} ${k.a.port} ${k.b.address} ${k.b.port}`;
}

/** Whether `a` (port aPort) is the server by the table's mid-stream rule: a well-known port, else the lower. */
function serverByPort(aPort: number, bPort: number): boolean {
  const aWellKnown = aPort < 1024;
  if (aWellKnown !== bPort < 1024) return aWellKnown;
  return aPort < bPort;
}
