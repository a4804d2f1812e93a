/**
 * Flow records turned back into what an in-kernel aggregator would have delivered for them
 * (FlowObservation, PayloadChunk), split and ordered as chosen by a Draw, so a fresh flow table
 * fed those must emit the same records. What a record does not say is chosen the way a kernel
 * could have seen it: the per-direction flags from tcpState and initiatorEvidence, the endpoint
 * named A (the sender of the first packet) freely where the initiator rules do not depend on it.
 */
import { parseAddress } from '../../src/net/ip-address.js';
import { startsLikeTlsUpgrade } from '../../src/decode/tls-upgrade.js';
import { IpProtocol } from '../../src/net/ip-protocol.js';
import { type FlowObservation, type ObservedFlowKey, type PayloadChunk, SEEN_FIN, SEEN_RST, SEEN_SYN, SEEN_SYN_ACK } from '../../src/flow/flow-observation.js';
import type { FlowDirection, FlowRecord, FlowSink } from '../../src/flow/flow-record.js';
import type { FlowTable } from '../../src/flow/flow-table.js';

/** The choices a replay makes: fast-check's gen() in the property tests. */
export interface Draw {
  int(min: number, max: number): number;
  bool(): boolean;
}

export type ObservedEvent = { readonly kind: 'observation'; readonly o: FlowObservation } | { readonly kind: 'chunk'; readonly c: PayloadChunk };

/** A record whose payload prefixes are copies (the table's are borrowed during onFlow only). */
export function keptRecord(f: FlowRecord): FlowRecord {
  return { ...f, toServer: { ...f.toServer, payload: Buffer.from(f.toServer.payload) }, toClient: { ...f.toClient, payload: Buffer.from(f.toClient.payload) } };
}

/** A sink keeping copies of the records it gets. */
export function recordingSink(): FlowSink & { readonly records: FlowRecord[] } {
  const records: FlowRecord[] = [];
  return { records, onFlow: (f) => records.push(keptRecord(f)) };
}

export function feed(table: FlowTable, events: readonly ObservedEvent[]): void {
  for (const e of events) {
    if (e.kind === 'observation') table.addObservation(e.o);
    else table.addPayloadChunk(e.c);
  }
}

/**
 * The events of every record, merged in time order (ties: the record that began first, then the
 * order within the record), as the kernel would deliver them: counters read at random moments,
 * payload in chunks, first packet's side as A.
 */
export function observedEvents(records: readonly FlowRecord[], draw: Draw): ObservedEvent[] {
  const timed: { time: number; id: number; seq: number; event: ObservedEvent }[] = [];
  const lastEnd = new Map<string, string>();
  for (const chain of entryChains(records)) {
    const key = chainKey(chain[0], draw);
    const before: Cumulative = { firstSeen: chain[0].firstSeen, toServer: zero(), toClient: zero(), laterFragments: 0, previous: undefined };
    // Payload before counters is taken as a new connection's only where the one before it closed.
    const payloadFirst = lastEnd.get(flowKey(chain[0])) !== 'port-reuse';
    lastEnd.set(flowKey(chain[0]), chain[chain.length - 1].endReason);
    chain.forEach((record, i) => {
      const events = recordEvents(record, i === chain.length - 1, key, before, payloadFirst, draw);
      events.forEach(({ time, event }, seq) => timed.push({ time, id: record.id, seq, event }));
      before.toServer = add(before.toServer, record.toServer.packets, record.toServer.bytes, flagsOf(record).toServer);
      before.toClient = add(before.toClient, record.toClient.packets, record.toClient.bytes, flagsOf(record).toClient);
      before.laterFragments += record.laterFragments;
      before.previous = record;
    });
  }
  timed.sort((x, y) => x.time - y.time || x.id - y.id || x.seq - y.seq);
  return timed.map((t) => t.event);
}

/** A kernel entry: a record and the records that continue it (active timeouts), in order. */
function entryChains(records: readonly FlowRecord[]): FlowRecord[][] {
  const open = new Map<string, FlowRecord[]>();
  const chains: FlowRecord[][] = [];
  for (const r of [...records].sort((a, b) => a.id - b.id)) {
    const k = flowKey(r);
    const chain = r.continued ? open.get(k) : undefined;
    if (chain !== undefined) chain.push(r);
    else chains.push([r]);
    if (!r.continued) open.set(k, chains[chains.length - 1]);
  }
  return chains;
}

function flowKey(r: FlowRecord): string {
  return `${r.protocol} ${r.client.address} ${r.client.port} ${r.server.address} ${r.server.port}`;
}

interface Counts {
  readonly packets: number;
  readonly bytes: number;
  readonly tcpFlags: number;
}
/** What the kernel entry counted before the record at hand (the records it continues). */
interface Cumulative {
  readonly firstSeen: number;
  toServer: Counts;
  toClient: Counts;
  laterFragments: number;
  previous: FlowRecord | undefined;
}

function zero(): Counts {
  return { packets: 0, bytes: 0, tcpFlags: 0 };
}

function add(c: Counts, packets: number, bytes: number, flags: number): Counts {
  return { packets: c.packets + packets, bytes: c.bytes + bytes, tcpFlags: c.tcpFlags | flags };
}

/** The key with A the client or the server, and which one it is. */
interface ChainKey {
  readonly key: ObservedFlowKey;
  readonly aIsClient: boolean;
}

function chainKey(r: FlowRecord, draw: Draw): ChainKey {
  // A SYN or a SYN-ACK names the initiator whoever sent the first packet; the port guess does
  // too unless the ports are equal; a connectionless flow's initiator is its first sender.
  const free = r.protocol === IpProtocol.Tcp && (r.initiatorEvidence !== 'port-heuristic' || r.client.port !== r.server.port);
  const aIsClient = free ? draw.bool() : true;
  const [a, b] = aIsClient ? [r.client, r.server] : [r.server, r.client];
  return { aIsClient, key: { ipVersion: r.ipVersion, protocol: r.protocol, addressA: addressBytes(a.address), portA: a.port, addressB: addressBytes(b.address), portB: b.port } };
}

function addressBytes(text: string): Uint8Array {
  const words = parseAddress(text)!;
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) bytes.writeUInt32BE(words[i], 4 * i);
  return bytes;
}

/**
 * Flags each direction must have shown for the table to reach the record's tcpState and initiator
 * evidence (to server, to client).
 */
function flagsOf(r: FlowRecord): { toServer: number; toClient: number } {
  let toServer = r.initiatorEvidence === 'syn' ? SEEN_SYN : 0;
  let toClient = r.initiatorEvidence === 'syn-ack' ? SEEN_SYN_ACK : 0;
  switch (r.tcpState) {
    case 'reset':
      toServer |= SEEN_RST;
      break;
    case 'closed':
      toServer |= SEEN_FIN;
      toClient |= SEEN_FIN;
      break;
    case 'fin-wait':
      toServer |= SEEN_FIN;
      break;
    case 'established':
      toClient |= SEEN_SYN_ACK;
      break;
  }
  return { toServer, toClient };
}

/** The evidence flags alone: what the first packets showed. */
function openingFlags(r: FlowRecord): { toServer: number; toClient: number } {
  return { toServer: r.initiatorEvidence === 'syn' ? SEEN_SYN : 0, toClient: r.initiatorEvidence === 'syn-ack' ? SEEN_SYN_ACK : 0 };
}

/** One record's events with their times: counters at its start, maybe midway, at its end; its payload in chunks. */
function recordEvents(r: FlowRecord, last: boolean, { key, aIsClient }: ChainKey, before: Cumulative, payloadFirst: boolean, draw: Draw): { time: number; event: ObservedEvent }[] {
  const first = before.previous === undefined;
  const observation = (share: number, flags: { toServer: number; toClient: number }, ended: boolean): ObservedEvent => {
    const part = (total: number) => (share >= 1 ? total : Math.floor(total * share));
    const toServer = add(before.toServer, part(r.toServer.packets), part(r.toServer.bytes), flags.toServer);
    const toClient = add(before.toClient, part(r.toClient.packets), part(r.toClient.bytes), flags.toClient);
    const o: FlowObservation = {
      ...key,
      firstSeen: before.firstSeen,
      // Set with the event's time (timesFor).
      lastSeen: NaN,
      aToB: aIsClient ? toServer : toClient,
      bToA: aIsClient ? toClient : toServer,
      laterFragments: before.laterFragments + part(r.laterFragments),
      ...(r.icmp !== undefined ? { icmp: r.icmp } : {}),
      ...(ended ? { ended } : {}),
    };
    return { kind: 'observation', o };
  };
  const opening = draw.int(0, 4) / 4;
  const observations = [observation(opening, openingFlags(r), false)];
  // Midway the connection is still open: its FINs and RST are in the last counters.
  if (draw.bool()) observations.push(observation(Math.max(opening, draw.int(0, 4) / 4), openingFlags(r), false));
  observations.push(observation(1, flagsOf(r), last && draw.bool()));
  const toServer = chunks(r, key, aIsClient, 'toServer', before.previous?.toServer, draw);
  const toClient = chunks(r, key, aIsClient, 'toClient', before.previous?.toClient, draw);
  // Whose first bytes open an upgrade to TLS spoke first: the table classes both directions by them.
  const firstSpeaker = first && r.toClient.payload.length > 0 && opensUpgrade(r.toClient.payload) && !opensUpgrade(r.toServer.payload) ? 1 : 0;
  const queues: ObservedEvent[][] = [[...observations], firstSpeaker === 0 ? toServer : toClient, firstSpeaker === 0 ? toClient : toServer];
  const order: ObservedEvent[] = [];
  let speakerStarted = false;
  while (queues.some((q) => q.length > 0)) {
    const ready = queues
      .map((_, i) => i)
      .filter((i) => queues[i].length > 0)
      // A continued record's counters come first: they split it from the one before (chunks would land in that one).
      .filter((i) => i === 0 || (first && payloadFirst) || order.length > 0)
      // The loader drains the ring buffer before it reads the counters: a packet's payload comes before the counters that count it, so all of it before the last.
      .filter((i) => i !== 0 || queues[0].length > 1 || (queues[1].length === 0 && queues[2].length === 0))
      .filter((i) => i !== 2 || speakerStarted || queues[1].length === 0);
    const i = ready[draw.int(0, ready.length - 1)];
    if (i === 1) speakerStarted = true;
    order.push(queues[i].shift()!);
  }
  return timesFor(order, r, observations, draw);
}

/** Non-decreasing times: up to the first counters at the record's start, from its last counters at its end, between them anything. */
function timesFor(order: ObservedEvent[], r: FlowRecord, observations: ObservedEvent[], draw: Draw): { time: number; event: ObservedEvent }[] {
  const startAt = order.indexOf(observations[0]);
  const endAt = order.indexOf(observations[observations.length - 1]);
  const between = Array.from({ length: Math.max(0, endAt - startAt - 1) }, () => r.firstSeen + ((r.lastSeen - r.firstSeen) * draw.int(0, 1000)) / 1000).sort((a, b) => a - b);
  return order.map((event, i) => {
    const time = i <= startAt ? r.firstSeen : i >= endAt ? r.lastSeen : between[i - startAt - 1];
    if (event.kind === 'observation') return { time, event: { kind: 'observation', o: { ...event.o, lastSeen: time } } };
    return { time, event: { kind: 'chunk', c: { ...event.c, time } } };
  });
}

function opensUpgrade(payload: Buffer): boolean {
  return payload.length > 0 && startsLikeTlsUpgrade(payload, 0, payload.length);
}

/**
 * The record's new payload bytes in one direction as chunks in stream order, with repeats and
 * overlaps of bytes already sent between them, and what makes the direction stop as the record
 * says (`gap`: a chunk past the kept bytes; `snaplen`: a chunk whose packet was longer).
 */
function chunks(r: FlowRecord, key: ObservedFlowKey, aIsClient: boolean, side: 'toServer' | 'toClient', previous: FlowDirection | undefined, draw: Draw): ObservedEvent[] {
  const { payload, payloadStop } = r[side];
  const fromB = (side === 'toServer') !== aIsClient;
  const chunk = (offset: number, bytes: Buffer, length = bytes.length): ObservedEvent => ({ kind: 'chunk', c: { ...key, fromB, offset, bytes, length, time: NaN } });
  const out: ObservedEvent[] = [];
  if (payloadStop === 'budget') throw new Error(`flow ${r.id}: a prefix the budget cut cannot be replayed`);
  // The record this one continues had it all, and it stopped there.
  if (previous !== undefined && previous.payloadStop !== 'end') return out;
  if (r.protocol !== IpProtocol.Tcp) {
    // A datagram is one chunk, whole; the kernel may send it twice.
    if (previous !== undefined || (payload.length === 0 && payloadStop !== 'snaplen')) return out;
    out.push(chunk(0, payload, payloadStop === 'snaplen' ? payload.length + 1 : payload.length));
    if (draw.bool()) out.push(out[0]);
    return out;
  }
  let sent = previous?.payload.length ?? 0;
  while (sent < payload.length) {
    // The table classes a stream by its first bytes (TLS, an upgrade): the first chunk holds what that needs.
    const end = Math.min(payload.length, sent + Math.max(sent === 0 ? upgradeNeeds(payload) : 1, draw.int(1, 600)));
    out.push(chunk(sent, payload.subarray(sent, end)));
    sent = end;
    if (draw.int(0, 3) === 0) {
      // A repeat or an overlap: from somewhere already sent to a little past it.
      const start = draw.int(0, sent - 1);
      const overlapEnd = Math.min(payload.length, sent + draw.int(0, 40));
      out.push(chunk(start, payload.subarray(start, overlapEnd)));
      sent = overlapEnd;
    }
  }
  if (payloadStop === 'gap') out.push(chunk(payload.length + 1, Buffer.from([0])));
  if (payloadStop === 'snaplen') out.push(chunk(payload.length, Buffer.alloc(0), 1));
  return out;
}

/** Bytes the upgrade grammar needs to say yes (1 when it never does). */
function upgradeNeeds(payload: Buffer): number {
  if (!opensUpgrade(payload)) return 1;
  for (let n = 1; n <= payload.length; n++) if (startsLikeTlsUpgrade(payload, 0, n)) return n;
  return payload.length;
}
