// What reading the eBPF loader's stream costs the agent per event (issue 17), from dist/ (npm run
// build first): LoaderStreamDecoder alone, and the decoder with LoaderFlowMapper and a FlowTable
// behind it, as `watch --engine ebpf` runs them.
//
//   node bench/loader-decode.mjs [CONNECTIONS] [ROUNDS]     defaults: 20000 connections, 7 rounds
//
// Two streams: `connections` (bench/loader-streams.mjs, shaped like bench/engine-cost.sh's
// connection rate); and `recorded`, the real loader's test/fixtures/loader/pods.stream and
// mapped.stream, repeated to the same size (IPv4 and IPv6, TLS chunks of up to 4 KiB, DNS, counters, interfaces). Each stream is
// pushed in 64 KiB pieces, as a pipe delivers them; a round decodes it whole after one warm-up
// round. Prints per stream and stage the best and median microseconds per event over ROUNDS.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LoaderStreamDecoder } from '../dist/engine/loader-stream.js';
import { LoaderFlowMapper } from '../dist/engine/loader-flow-mapper.js';
import { FlowTable } from '../dist/flow/flow-table.js';
import { connectionStream, PIPE_BYTES } from './loader-streams.mjs';

const CONNECTIONS = Number(process.argv[2] ?? 20000);
const ROUNDS = Number(process.argv[3] ?? 7);

function recordedStream(events) {
  const fixtures = ['pods.stream', 'mapped.stream'].map((f) => readFileSync(fileURLToPath(new URL(`../test/fixtures/loader/${f}`, import.meta.url))));
  const perCopy = fixtures.reduce((n, f) => {
    const d = new LoaderStreamDecoder(() => n++);
    d.push(f);
    return n;
  }, 0);
  const copies = Math.max(1, Math.round(events / perCopy));
  return { bytes: Buffer.concat(Array.from({ length: copies }, () => fixtures).flat()), events: copies * perCopy };
}

/** One round: the stream through the decoder (and the mapper and a table); microseconds per event. */
function round(stream, withMapper) {
  let decoded = 0;
  let onEvent = () => decoded++;
  if (withMapper) {
    const table = new FlowTable({ onFlow: () => {} }, { payloadLimit: 4096 });
    const mapper = new LoaderFlowMapper(table, { now: () => 1_795_398_684 });
    onEvent = (e) => {
      decoded++;
      mapper.handle(e);
    };
  }
  const decoder = new LoaderStreamDecoder(onEvent, (p) => {
    throw p;
  });
  const t0 = process.hrtime.bigint();
  for (let at = 0; at < stream.bytes.length; at += PIPE_BYTES) decoder.push(stream.bytes.subarray(at, at + PIPE_BYTES));
  decoder.end();
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  if (decoded !== stream.events) throw new Error(`decoded ${decoded} of ${stream.events} events`);
  return us / decoded;
}

const streams = { connections: connectionStream(CONNECTIONS), recorded: recordedStream(4 * CONNECTIONS) };
console.log(`# ${new Date().toISOString()} node ${process.version}; ${CONNECTIONS} connections, ${ROUNDS} rounds after a warm-up`);
console.log('# stream stage events MB best_us_per_event median_us_per_event');
for (const [name, stream] of Object.entries(streams)) {
  for (const [stage, withMapper] of [['decoder', false], ['decoder+mapper+table', true]]) {
    round(stream, withMapper);
    const us = Array.from({ length: ROUNDS }, () => round(stream, withMapper)).sort((a, b) => a - b);
    console.log([name, stage, stream.events, (stream.bytes.length / 1e6).toFixed(2), us[0].toFixed(3), us[Math.floor(ROUNDS / 2)].toFixed(3)].join(' '));
  }
}
