import { DecodedPacket, Fragment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/decoded-packet.js';
import { parseAddress } from '../../src/net/ip-address.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/flow-table.js';
import { RecordingSink } from '../support/recording-sink.js';

export { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN };
export const PSH_ACK = 0x18;

export interface PacketSpec {
  /** "10.0.0.1:40000" */
  readonly from: string;
  readonly to: string;
  readonly at: number;
  readonly protocol?: number;
  readonly flags?: number;
  readonly seq?: number;
  readonly payload?: Buffer | string;
  /** Bytes of payload on the wire when the capture kept fewer. */
  readonly wireLength?: number;
  readonly fragment?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/**
 * A flow table fed hand-built decoded packets, recording what it emits. The records' payloads
 * are borrowed, so they are copied at emission, as a sink that keeps them must.
 */
export class TableHarness {
  /** Flows emitted, their payload prefixes copied. */
  readonly emitted: FlowRecord[];
  /** Live updates (publishUpdates), when the harness was made with `liveUpdates`. */
  readonly updates: FlowRecord[];
  readonly table: FlowTable;
  private readonly packet = new DecodedPacket();
  private readonly frame = Buffer.alloc(8192);

  constructor(options: Partial<FlowTableOptions> = {}, liveUpdates = false) {
    const recording = new RecordingSink({ updates: liveUpdates });
    this.emitted = recording.flows;
    this.updates = recording.updates;
    this.table = new FlowTable(recording, options);
  }

  send(spec: PacketSpec): void {
    const p = this.packet;
    const [srcAddress, srcPort] = endpoint(spec.from);
    const [dstAddress, dstPort] = endpoint(spec.to);
    const src = parseAddress(srcAddress)!;
    const dst = parseAddress(dstAddress)!;
    for (let i = 0; i < 4; i++) {
      p.src[i] = src[i];
      p.dst[i] = dst[i];
    }
    const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'latin1') : spec.payload ?? Buffer.alloc(0);
    payload.copy(this.frame, 100);
    p.ipVersion = srcAddress.includes(':') ? 6 : 4;
    p.protocol = spec.protocol ?? 6;
    p.srcPort = srcPort;
    p.dstPort = dstPort;
    p.tcpFlags = spec.flags ?? 0;
    p.tcpSeq = spec.seq ?? 0;
    p.fragment = spec.fragment ?? Fragment.None;
    p.icmpType = spec.icmpType ?? 0;
    p.icmpCode = spec.icmpCode ?? 0;
    p.payloadOffset = 100;
    p.payloadCaptured = payload.length;
    p.payloadLength = spec.wireLength ?? payload.length;
    p.ipLength = 40 + p.payloadLength;
    this.table.addPacket(p, this.frame, Math.floor(spec.at), Math.round((spec.at % 1) * 1e9));
  }

  /** A full TCP handshake from `client` to `server` at time `at`, client ISN `isn`. */
  connect(client: string, server: string, at: number, isn = 1000): void {
    this.send({ from: client, to: server, at, flags: TCP_SYN, seq: isn });
    this.send({ from: server, to: client, at: at + 0.001, flags: TCP_SYN | TCP_ACK, seq: 5000 });
    this.send({ from: client, to: server, at: at + 0.002, flags: TCP_ACK, seq: isn + 1 });
  }

  flush(): this {
    this.table.flush();
    return this;
  }
}

function endpoint(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  return [text.slice(0, colon).replace(/^\[|\]$/g, ''), Number(text.slice(colon + 1))];
}
