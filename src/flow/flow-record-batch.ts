import { FLOW_END_REASONS, INITIATOR_EVIDENCE, PAYLOAD_STOPS, TCP_STATES, type FlowDirection, type FlowRecord, type FlowSink } from './flow-record.js';
import type { PayloadTap } from './payload-tap.js';

/**
 * Flow records, and the payloads a tap saw, packed in order into binary batches: the form in which
 * they cross from the thread that reads packets to a worker that audits them. A record is a few
 * dozen bytes plus its payload prefixes, so packing costs far less than structured cloning of the
 * objects would. A batch is a SharedArrayBuffer, shared rather than transferred, and never written
 * again once handed over: transferring detaches an ArrayBuffer, and the first detach anywhere in
 * the process turns off V8's assumption that none ever is, which made every typed-array access of
 * the reading thread (decoder, flow table) slower: +25% on its time (bench/RESULTS.md).
 */

const BATCH_BYTES = 256 << 10;
const KIND_FLOW = 1;
const KIND_TAPPED = 2;
/** An address text and the number flow records name it by from now on. */
const KIND_ADDRESS = 3;
/** The numbering starts over (the table of numbered addresses is full). */
const KIND_FORGET_ADDRESSES = 4;
/** Addresses numbered before the numbering starts over: both ends hold at most this many. */
const ADDRESS_TABLE_LIMIT = 1 << 16;
const FLAG_CONTINUED = 1;
const FLAG_ICMP = 2;
const EMPTY = Buffer.alloc(0);


/** A flow record: kind, flags and small enumerations; five doubles; three counters; ICMP type and code, ports, payload lengths, address numbers. */
const FLOW_FIXED_BYTES = 8 + 5 * 8 + 3 * 4 + 16;
/** Fixed part of a tapped payload: kind, protocol, truncated, pad, length, timestamp. */
const TAPPED_FIXED_BYTES = 8 + 8;
/** An address record: kind, length, number, and at most 45 characters (IPv6 with an embedded IPv4). */
const ADDRESS_BYTES = 4 + 45;

/** Receives a full batch: `length` bytes of `buffer` are records; the buffer is the receiver's now. */
export type BatchConsumer = (buffer: SharedArrayBuffer, length: number) => void;

/**
 * Packs flow records (as a FlowSink) and tapped payloads (through `tap`) into batches, handing each
 * to `consumer` when full and the last one at flush(). Payloads are copied out while valid: flow
 * prefixes are borrowed from the table and tapped bytes from the capture buffer.
 */
export class FlowRecordBatchWriter implements FlowSink {
  private buffer = new SharedArrayBuffer(BATCH_BYTES);
  private bytes = new Uint8Array(this.buffer);
  private view = new DataView(this.buffer);
  private at = 0;
  /**
   * Address texts sent so far, by number. Flows repeat their endpoints far more than they add new
   * ones: each text crosses once and the reader hands on one string per address, whose hash the
   * audit's maps then compute once (a string made per record cost the reader about 0.5 µs a flow).
   */
  private readonly addressNumbers = new Map<string, number>();

  constructor(private readonly consumer: BatchConsumer) {}

  /** A tap that packs the payloads sent from `sourcePort` in order with the flows. */
  tap(sourcePort: number): PayloadTap {
    return {
      sourcePort,
      onPayload: (protocol, data, offset, length, truncated, timestampSeconds) => this.addTapped(protocol, data, offset, length, truncated, timestampSeconds),
    };
  }

  onFlow(f: FlowRecord): void {
    this.reserve(1 + 2 * ADDRESS_BYTES + FLOW_FIXED_BYTES + f.toServer.payload.length + f.toClient.payload.length);
    if (this.addressNumbers.size + 2 > ADDRESS_TABLE_LIMIT) {
      this.addressNumbers.clear();
      this.bytes[this.at++] = KIND_FORGET_ADDRESSES;
    }
    const client = this.addressNumber(f.client.address);
    const server = this.addressNumber(f.server.address);
    const v = this.view;
    let at = this.at;
    v.setUint8(at, KIND_FLOW);
    v.setUint8(at + 1, (f.continued ? FLAG_CONTINUED : 0) | (f.icmp !== undefined ? FLAG_ICMP : 0));
    v.setUint8(at + 2, f.ipVersion);
    v.setUint8(at + 3, f.protocol);
    v.setUint8(at + 4, INITIATOR_EVIDENCE.indexOf(f.initiatorEvidence));
    v.setUint8(at + 5, TCP_STATES.indexOf(f.tcpState));
    v.setUint8(at + 6, FLOW_END_REASONS.indexOf(f.endReason));
    v.setUint8(at + 7, PAYLOAD_STOPS.indexOf(f.toServer.payloadStop) | (PAYLOAD_STOPS.indexOf(f.toClient.payloadStop) << 4));
    at += 8;
    v.setFloat64(at, f.id, true);
    v.setFloat64(at + 8, f.firstSeen, true);
    v.setFloat64(at + 16, f.lastSeen, true);
    v.setFloat64(at + 24, f.toServer.bytes, true);
    v.setFloat64(at + 32, f.toClient.bytes, true);
    v.setUint32(at + 40, f.toServer.packets, true);
    v.setUint32(at + 44, f.toClient.packets, true);
    v.setUint32(at + 48, f.laterFragments, true);
    at += 52;
    v.setUint8(at, f.icmp?.type ?? 0);
    v.setUint8(at + 1, f.icmp?.code ?? 0);
    v.setUint16(at + 2, f.client.port, true);
    v.setUint16(at + 4, f.server.port, true);
    v.setUint16(at + 6, f.toServer.payload.length, true);
    v.setUint16(at + 8, f.toClient.payload.length, true);
    v.setUint16(at + 10, client, true);
    v.setUint16(at + 12, server, true);
    at += 16;
    this.bytes.set(f.toServer.payload, at);
    at += f.toServer.payload.length;
    this.bytes.set(f.toClient.payload, at);
    this.at = at + f.toClient.payload.length;
  }

  /** Hands over what is packed so far (the end of the stream). */
  flush(): void {
    if (this.at === 0) return;
    const full = this.buffer;
    const length = this.at;
    this.startBatch(BATCH_BYTES);
    this.consumer(full, length);
  }

  private addTapped(protocol: number, data: Buffer, offset: number, length: number, truncated: boolean, timestampSeconds: number): void {
    this.reserve(TAPPED_FIXED_BYTES + length);
    const v = this.view;
    const at = this.at;
    v.setUint8(at, KIND_TAPPED);
    v.setUint8(at + 1, protocol);
    v.setUint8(at + 2, truncated ? 1 : 0);
    v.setUint32(at + 4, length, true);
    v.setFloat64(at + 8, timestampSeconds, true);
    this.bytes.set(data.subarray(offset, offset + length), at + TAPPED_FIXED_BYTES);
    this.at = at + TAPPED_FIXED_BYTES + length;
  }

  /** Makes room for a record of up to `bytes`, handing the batch over first when it lacks it. */
  private reserve(bytes: number): void {
    if (this.at + bytes <= this.bytes.length) return;
    this.flush();
    if (bytes > this.bytes.length) this.startBatch(bytes);
  }

  private startBatch(bytes: number): void {
    this.buffer = new SharedArrayBuffer(Math.max(bytes, BATCH_BYTES));
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.at = 0;
  }

  /** The address's number, sending its text first if it has none yet (room is reserved). */
  private addressNumber(text: string): number {
    let n = this.addressNumbers.get(text);
    if (n !== undefined) return n;
    n = this.addressNumbers.size;
    this.addressNumbers.set(text, n);
    const bytes = this.bytes;
    const at = this.at;
    bytes[at] = KIND_ADDRESS;
    bytes[at + 1] = text.length;
    this.view.setUint16(at + 2, n, true);
    for (let i = 0; i < text.length; i++) bytes[at + 4 + i] = text.charCodeAt(i);
    this.at = at + 4 + text.length;
    return n;
  }
}

/** What a batch reader hands on: the flows to a FlowSink, the tapped payloads to the tap. */
export interface BatchTargets {
  readonly sink: FlowSink;
  readonly tap: PayloadTap;
}

/**
 * Unpacks batches, in the order they were written, to a FlowSink and a PayloadTap. Payloads are
 * views of the batch: like the table's prefixes, valid while the sink or tap runs (a batch is not
 * written again, so they stay valid as long as kept).
 */
export class FlowRecordBatchReader {
  private readonly addresses: string[] = [];

  constructor(private readonly targets: BatchTargets) {}

  read(buffer: SharedArrayBuffer, length: number): void {
    const v = new DataView(buffer, 0, length);
    const bytes = Buffer.from(buffer, 0, length);
    const { sink, tap } = this.targets;
    const addresses = this.addresses;
    let at = 0;
    while (at < length) {
      const kind = v.getUint8(at);
      if (kind === KIND_ADDRESS) {
        const size = bytes[at + 1];
        addresses[v.getUint16(at + 2, true)] = bytes.toString('latin1', at + 4, at + 4 + size);
        at += 4 + size;
        continue;
      }
      if (kind === KIND_FORGET_ADDRESSES) {
        addresses.length = 0;
        at += 1;
        continue;
      }
      if (kind === KIND_TAPPED) {
        const size = v.getUint32(at + 4, true);
        const start = at + TAPPED_FIXED_BYTES;
        tap.onPayload(v.getUint8(at + 1), bytes, start, size, v.getUint8(at + 2) === 1, v.getFloat64(at + 8, true));
        at = start + size;
        continue;
      }
      if (kind !== KIND_FLOW) throw new Error(`flow record batch: unknown record kind ${kind} at byte ${at}`);
      const flags = v.getUint8(at + 1);
      const stops = v.getUint8(at + 7);
      const d = at + 8;
      const small = d + 52;
      const toServerKept = v.getUint16(small + 6, true);
      const toClientKept = v.getUint16(small + 8, true);
      let p = small + 16;
      const toServer: FlowDirection = {
        packets: v.getUint32(d + 40, true),
        bytes: v.getFloat64(d + 24, true),
        payload: toServerKept === 0 ? EMPTY : bytes.subarray(p, p + toServerKept),
        payloadStop: PAYLOAD_STOPS[stops & 15],
      };
      p += toServerKept;
      const toClient: FlowDirection = {
        packets: v.getUint32(d + 44, true),
        bytes: v.getFloat64(d + 32, true),
        payload: toClientKept === 0 ? EMPTY : bytes.subarray(p, p + toClientKept),
        payloadStop: PAYLOAD_STOPS[stops >>> 4],
      };
      p += toClientKept;
      sink.onFlow({
        id: v.getFloat64(d, true),
        ipVersion: v.getUint8(at + 2) === 6 ? 6 : 4,
        protocol: v.getUint8(at + 3),
        client: { address: addresses[v.getUint16(small + 10, true)], port: v.getUint16(small + 2, true) },
        server: { address: addresses[v.getUint16(small + 12, true)], port: v.getUint16(small + 4, true) },
        initiatorEvidence: INITIATOR_EVIDENCE[v.getUint8(at + 4)],
        firstSeen: v.getFloat64(d + 8, true),
        lastSeen: v.getFloat64(d + 16, true),
        toServer,
        toClient,
        tcpState: TCP_STATES[v.getUint8(at + 5)],
        endReason: FLOW_END_REASONS[v.getUint8(at + 6)],
        continued: (flags & FLAG_CONTINUED) !== 0,
        laterFragments: v.getUint32(d + 48, true),
        // Present or undefined, not spread in: every record then has one shape.
        icmp: flags & FLAG_ICMP ? { type: v.getUint8(small), code: v.getUint8(small + 1) } : undefined,
      });
      at = p;
    }
  }
}
