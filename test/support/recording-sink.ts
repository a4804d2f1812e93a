/**
 * The tests' one recording sink: it keeps what a pipeline stage hands on, copied where the stage
 * only lends it (a packet's bytes, a flow record's payload prefixes), so tests look at it after.
 */
import type { AuditedFlow, AuditSink } from '../../src/audit/audited-flow.js';
import type { PacketSink } from '../../src/capture/packet-sink.js';
import type { FlowRecord, FlowSink } from '../../src/flow/flow-record.js';

export interface RecordedPacket {
  /** A copy: the reader's buffer is only valid during onPacket. */
  readonly data: Buffer;
  readonly originalLength: number;
  readonly linkType: number;
  readonly seconds: number;
  readonly nanos: number;
}

export interface RecordingSinkOptions {
  /** Also take live flow updates (FlowSink.onFlowUpdate), kept in `updates`: the flow table then tracks evidence. */
  readonly updates?: boolean;
}

export class RecordingSink implements PacketSink, FlowSink, AuditSink {
  readonly packets: RecordedPacket[] = [];
  /** Finished flow records, payload prefixes copied. */
  readonly flows: FlowRecord[] = [];
  readonly updates: FlowRecord[] = [];
  readonly audited: AuditedFlow[] = [];
  /** Present only when asked for: a FlowTable treats a sink with it as one that wants live updates. */
  readonly onFlowUpdate?: (flow: FlowRecord) => void;

  constructor(options: RecordingSinkOptions = {}) {
    if (options.updates === true) this.onFlowUpdate = (flow) => this.updates.push(keptFlow(flow));
  }

  onPacket(data: Buffer, offset: number, capturedLength: number, originalLength: number, linkType: number, seconds: number, nanos: number): void {
    if (capturedLength < 0 || offset < 0 || offset + capturedLength > data.length) {
      throw new Error(`reader delivered an impossible slice: offset ${offset}, length ${capturedLength}, buffer ${data.length}`);
    }
    this.packets.push({ data: Buffer.from(data.subarray(offset, offset + capturedLength)), originalLength, linkType, seconds, nanos });
  }

  onFlow(flow: FlowRecord): void {
    this.flows.push(keptFlow(flow));
  }

  onAuditedFlow(flow: AuditedFlow): void {
    this.audited.push(flow);
  }
}

/** The record with its payload prefixes copied out of the flow table's pool. */
export function keptFlow(flow: FlowRecord): FlowRecord {
  return {
    ...flow,
    toServer: { ...flow.toServer, payload: Buffer.from(flow.toServer.payload) },
    toClient: { ...flow.toClient, payload: Buffer.from(flow.toClient.payload) },
  };
}
