import { FLOW_END_REASONS, INITIATOR_EVIDENCE, PAYLOAD_STOPS, TCP_STATES, type FlowDirection, type FlowRecord, type FlowSink } from './flow-record.js';
import type { PayloadTap } from './payload-tap.js';

/**
 * Flow records, and the payloads a tap saw, packed in order into binary batches: the form in which
 * they cross from the thread that reads packets to a worker that audits them. A batch is an
 * ArrayBuffer handed over whole (transferred, not copied); a record is a few dozen bytes plus its
 * payload prefixes, so packing costs far less than structured cloning of the objects would.
 */

const BATCH_BYTES = 256 << 10;
const KIND_FLOW = 1;
const KIND_TAPPED = 2;
const FLAG_CONTINUED = 1;
const FLAG_ICMP = 2;


/** Fixed part of a flow record: kind and flags, five doubles, three counters, the small fields. */
const FLOW_FIXED_BYTES = 8 + 5 * 8 + 3 * 4 + 8 + 2 * 2 + 2 * 2;
/** Fixed part of a tapped payload: kind, protocol, truncated, pad, length, timestamp. */
const TAPPED_FIXED_BYTES = 8 + 8;
/** An address text is at most 45 characters (IPv6 with an embedded IPv4), with a length byte. */
const ADDRESS_BYTES = 1 + 45;

/** Receives a full batch: `length` bytes of `buffer` are records; the buffer is the receiver's now. */
export type BatchConsumer = (buffer: ArrayBuffer, length: number) => void;

/**
 * Packs flow records (as a FlowSink) and tapped payloads (through `tap`) into batches, handing each
 * to `consumer` when full and the last one at flush(). Payloads are copied out while valid: flow
 * prefixes are borrowed from the table and tapped bytes from the capture buffer.
 */
export class FlowRecordBatchWriter implements FlowSink {
  private buffer = new ArrayBuffer(BATCH_BYTES);
  private bytes = new Uint8Array(this.buffer);
  private view = new DataView(this.buffer);
  private at = 0;

  constructor(private readonly consumer: BatchConsumer) {}

  /** A tap that packs the payloads sent from `sourcePort` in order with the flows. */
  tap(sourcePort: number): PayloadTap {
    return {
      sourcePort,
      onPayload: (protocol, data, offset, length, truncated, timestampSeconds) => this.addTapped(protocol, data, offset, length, truncated, timestampSeconds),
    };
  }

  onFlow(f: FlowRecord): void {
    this.reserve(FLOW_FIXED_BYTES + 2 * ADDRESS_BYTES + f.toServer.payload.length + f.toClient.payload.length);
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
    at += 12;
    at = this.putText(at, f.client.address);
    at = this.putText(at, f.server.address);
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
    this.buffer = new ArrayBuffer(Math.max(bytes, BATCH_BYTES));
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.at = 0;
  }

  private putText(at: number, text: string): number {
    const bytes = this.bytes;
    bytes[at] = text.length;
    for (let i = 0; i < text.length; i++) bytes[at + 1 + i] = text.charCodeAt(i);
    return at + 1 + text.length;
  }
}

/** What a batch reader hands on: the flows to a FlowSink, the tapped payloads to the tap. */
export interface BatchTargets {
  readonly sink: FlowSink;
  readonly tap: PayloadTap;
}

/**
 * Unpacks a batch in order. Payloads are views of the batch: like the table's prefixes, valid
 * while the sink or tap runs (the batch is not reused, so they stay valid as long as kept).
 */
export function readFlowRecordBatch(buffer: ArrayBuffer, length: number, targets: BatchTargets): void {
  const v = new DataView(buffer, 0, length);
  const bytes = Buffer.from(buffer, 0, length);
  let at = 0;
  while (at < length) {
    const kind = v.getUint8(at);
    if (kind === KIND_TAPPED) {
      const size = v.getUint32(at + 4, true);
      const start = at + TAPPED_FIXED_BYTES;
      targets.tap.onPayload(v.getUint8(at + 1), bytes, start, size, v.getUint8(at + 2) === 1, v.getFloat64(at + 8, true));
      at = start + size;
      continue;
    }
    if (kind !== KIND_FLOW) throw new Error(`flow record batch: unknown record kind ${kind} at byte ${at}`);
    const flags = v.getUint8(at + 1);
    const ipVersion = v.getUint8(at + 2) === 6 ? 6 : 4;
    const protocol = v.getUint8(at + 3);
    const initiatorEvidence = INITIATOR_EVIDENCE[v.getUint8(at + 4)];
    const tcpState = TCP_STATES[v.getUint8(at + 5)];
    const endReason = FLOW_END_REASONS[v.getUint8(at + 6)];
    const stops = v.getUint8(at + 7);
    const d = at + 8;
    const small = d + 52;
    const toServerKept = v.getUint16(small + 6, true);
    const toClientKept = v.getUint16(small + 8, true);
    let p = small + 12;
    const clientAddress = bytes.toString('latin1', p + 1, p + 1 + bytes[p]);
    p += 1 + bytes[p];
    const serverAddress = bytes.toString('latin1', p + 1, p + 1 + bytes[p]);
    p += 1 + bytes[p];
    const toServer: FlowDirection = {
      packets: v.getUint32(d + 40, true),
      bytes: v.getFloat64(d + 24, true),
      payload: bytes.subarray(p, p + toServerKept),
      payloadStop: PAYLOAD_STOPS[stops & 15],
    };
    p += toServerKept;
    const toClient: FlowDirection = {
      packets: v.getUint32(d + 44, true),
      bytes: v.getFloat64(d + 32, true),
      payload: bytes.subarray(p, p + toClientKept),
      payloadStop: PAYLOAD_STOPS[stops >>> 4],
    };
    p += toClientKept;
    const flow: FlowRecord = {
      id: v.getFloat64(d, true),
      ipVersion,
      protocol,
      client: { address: clientAddress, port: v.getUint16(small + 2, true) },
      server: { address: serverAddress, port: v.getUint16(small + 4, true) },
      initiatorEvidence,
      firstSeen: v.getFloat64(d + 8, true),
      lastSeen: v.getFloat64(d + 16, true),
      toServer,
      toClient,
      tcpState,
      endReason,
      continued: (flags & FLAG_CONTINUED) !== 0,
      laterFragments: v.getUint32(d + 48, true),
      // Present or undefined, not spread in: every record then has one shape.
      icmp: flags & FLAG_ICMP ? { type: v.getUint8(small), code: v.getUint8(small + 1) } : undefined,
    };
    targets.sink.onFlow(flow);
    at = p;
  }
}
