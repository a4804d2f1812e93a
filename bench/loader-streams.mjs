// The synthetic loader stream the eBPF engine's benches push (bench/loader-decode.mjs,
// bench/agent-connections.mjs): written with protobufjs from proto/flowaudit.proto, shaped like
// bench/engine-cost.sh's connection rate. Per TCP connection between two IPv4 pods: a payload
// chunk of 64 bytes each way, a live report, the final report with end idle; connections begin
// 50 µs apart (20,000 a second) from CONNECTION_START_NS.
import { loaderEventType } from '../dist/engine/loader-schema.js';

/** Bytes a push hands the decoder, as a pipe delivers them. */
export const PIPE_BYTES = 65536;
/** The first connection's first packet, nanoseconds since the epoch. */
export const CONNECTION_START_NS = 1_795_398_684_000_000_000n;
/** Nanoseconds between two connections' first packets. */
export const CONNECTION_GAP_NS = 50_000n;

const type = loaderEventType();
const delimited = (event) => Buffer.from(type.encodeDelimited(type.fromObject(event)).finish());

/** Connections `first` to `first + n - 1`: { bytes, events }. */
export function connectionStream(n, first = 0) {
  const parts = [];
  for (let i = first; i < first + n; i++) {
    const key = { ipVersion: 4, protocol: 6, addressA: Buffer.from([10, 238, 0, 1]), addressB: Buffer.from([10, 238, 0, 2]), portA: 1024 + (i % 64000), portB: 7000 + (i % 16) };
    const firstNs = CONNECTION_START_NS + BigInt(i) * CONNECTION_GAP_NS;
    const flow = (end, last) => ({
      flow: {
        key, aToB: { packets: 6, bytes: 396, tcpFlags: 0x1b }, bToA: { packets: 5, bytes: 344, tcpFlags: 0x1b },
        synSide: 1, synAckSide: 2, firstNs: String(firstNs), lastNs: String(last), ifIndex: 7, end,
      },
    });
    parts.push(delimited({ payload: { key, bToA: false, offset: 0, data: Buffer.alloc(64, 0x61) } }));
    parts.push(delimited({ payload: { key, bToA: true, offset: 0, data: Buffer.alloc(64, 0x62) } }));
    parts.push(delimited(flow(0, firstNs + 200_000n)));
    parts.push(delimited(flow(1, firstNs + 400_000n)));
  }
  return { bytes: Buffer.concat(parts), events: 4 * n };
}
