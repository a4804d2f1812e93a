// What the flow table's way in for observed flows costs (FlowTable.addObservation, addPayloadChunk):
// N distinct TCP flows observed once, then five more times each with grown counters, then one
// 305-byte TLS chunk each. Run after `npm run build`: node --expose-gc bench/observed-flows.mjs [N]
import { FlowTable } from '../dist/flow/flow-table.js';
const N = Number(process.argv[2] ?? 200000);
let emitted = 0;
const table = new FlowTable({ onFlow: () => { emitted++; } }, { payloadLimit: 4096, plainPayloadLimit: 16, maxFlows: 1_000_000 });
const a = Buffer.from('00000000000000000000ffff0a000001', 'hex');
const keys = [];
for (let i = 0; i < N; i++) { const b = Buffer.from('00000000000000000000ffff0b000000', 'hex'); b.writeUInt32BE(0x0b000000 + i, 12); keys.push(b); }
const T0 = 1_800_000_000;
const obs = (i, t, n, flags) => ({ ipVersion: 4, protocol: 6, addressA: a, portA: 40000 + (i % 20000), addressB: keys[i], portB: 443, firstSeen: T0, lastSeen: T0 + t, aToB: { packets: n, bytes: 60 * n, tcpFlags: flags }, bToA: { packets: n, bytes: 80 * n, tcpFlags: 2 } });
globalThis.gc?.(); const h0 = process.memoryUsage().heapUsed;
let t = process.hrtime.bigint();
for (let i = 0; i < N; i++) table.addObservation(obs(i, 0.5, 3, 1));
const first = Number(process.hrtime.bigint() - t) / N;
globalThis.gc?.(); const h1 = process.memoryUsage().heapUsed;
t = process.hrtime.bigint();
for (let r = 0; r < 5; r++) for (let i = 0; i < N; i++) table.addObservation(obs(i, 1 + r, 4 + r, 1));
const later = Number(process.hrtime.bigint() - t) / (5 * N);
const chunk = { ipVersion: 4, protocol: 6, addressA: a, portA: 0, addressB: null, portB: 443, fromB: false, offset: 0, bytes: Buffer.from('\x16\x03\x01\x02\x00' + 'x'.repeat(300), 'latin1'), length: 305, time: T0 + 6 };
t = process.hrtime.bigint();
for (let i = 0; i < N; i++) table.addPayloadChunk({ ...chunk, portA: 40000 + (i % 20000), addressB: keys[i] });
const chunks = Number(process.hrtime.bigint() - t) / N;
console.log(JSON.stringify({ N, firstObservationNs: Math.round(first), laterObservationNs: Math.round(later), chunkNs: Math.round(chunks), heapPerEntryAndFlowBytes: Math.round((h1 - h0) / N), live: table.liveFlows, stats: table.observedStats }));
