// What the agent spends per new connection on the eBPF engine (issue 17), without the kernel:
// the synthetic loader stream of bench/loader-streams.mjs (per connection a 64-byte payload chunk
// each way, a live and a final Flow report) through everything `watch --engine ebpf` runs per
// event, from dist/ (npm run build first): LoaderStreamDecoder, the agent's pipeline as
// buildAgentPipeline wires it (LoaderFlowMapper, the flow table with the agent's options, the
// LiveAuditor on rules/platform-baseline.yaml, AuditMetrics on a prom-client registry), and the
// agent's tick once a second of stream time
// (the clock moved, live flows with new evidence judged, timed-out ones swept, in CHUNK_FLOWS
// steps). A round ends by moving the clock past the closed timeout, so every connection is judged
// live and once more when it ends. Payload chunks are stamped with the stream's time, not the wall
// clock: each round does the same work. Not included: scrapes (one every 15-60 s, not per flow).
// Two variants: `agent`, as bench/engine-cost.sh runs it (no violation log), and `agent+log`,
// as deployed with --violation-log: every connection here violates (no identities), so each
// writes one violation record, serialised to NDJSON and dropped (the file's writes not included).
//
//   node bench/agent-connections.mjs [CONNECTIONS] [ROUNDS] [VARIANT]   defaults: 20000 connections, 7 rounds, both variants
//
// Prints the best and median CPU microseconds per connection (process.cpuUsage: user and system,
// GC included) and wall microseconds over ROUNDS after one warm-up round. Each round builds a new
// pipeline (not timed), as the agent's warm-up leaves V8 with optimised code but no flows.
//
// Instructions a connection (deterministic, bench/RESULTS.md "Session 10"): the difference of two
// runs with different ROUNDS, divided by the extra connections:
//   valgrind --tool=cachegrind --cache-sim=no node --single-threaded --hash-seed=1 --random-seed=1 \
//     bench/agent-connections.mjs 20000 1 agent      (and ... 20000 3 agent)
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { agentTableOptions, CHUNK_FLOWS } from '../dist/agent/agent.js';
import { buildAgentPipeline } from '../dist/agent/agent-pipeline.js';
import { DeferredTableWork } from '../dist/agent/deferred-table-work.js';
import { loadMatrix } from '../dist/audit/load-matrix.js';
import { OwnEndpoint } from '../dist/audit/own-endpoint.js';
import { PLAIN_PREFIX_BYTES } from '../dist/cli/flow-table-options.js';
import { LoaderStreamDecoder } from '../dist/engine/loader-stream.js';
import { DEFAULT_FLOW_TABLE_OPTIONS } from '../dist/flow/flow-table.js';
import { IdentityIndex } from '../dist/identity/identity-index.js';
import { connectionStream, CONNECTION_GAP_NS, CONNECTION_START_NS, PIPE_BYTES } from './loader-streams.mjs';

const CONNECTIONS = Number(process.argv[2] ?? 20000);
const ROUNDS = Number(process.argv[3] ?? 7);
const VARIANTS = { agent: false, 'agent+log': true };
const variants = process.argv[4] === undefined ? Object.keys(VARIANTS) : [process.argv[4]];
if (!variants.every((v) => v in VARIANTS)) throw new Error(`variant: ${Object.keys(VARIANTS).join(' or ')}`);
/** watch's defaults (src/cli/watch-command.ts). */
const SEEN_WINDOW_SECONDS = 600;
const DNS_GRACE_SECONDS = 600;
/** Past the closed timeout (5 s): the last sweep ends every connection. */
const DRAIN_SECONDS = 10;

const matrix = loadMatrix(fileURLToPath(new URL('../rules/platform-baseline.yaml', import.meta.url)));
const stream = connectionStream(CONNECTIONS);
const startSeconds = Number(CONNECTION_START_NS) / 1e9;
const streamSeconds = Number(CONNECTION_GAP_NS * BigInt(CONNECTIONS)) / 1e9;

/** A fresh agent pipeline and what the round drives it with. */
function agentPipeline(withLog) {
  const run = { clock: startSeconds, violationBytes: 0 };
  const pipeline = buildAgentPipeline(matrix, new IdentityIndex({}), new Registry(), {
    table: { ...agentTableOptions({ plainPayloadLimit: PLAIN_PREFIX_BYTES }), initialCapacity: DEFAULT_FLOW_TABLE_OPTIONS.maxFlows },
    seenWindowSeconds: SEEN_WINDOW_SECONDS,
    dnsGraceSeconds: DNS_GRACE_SECONDS,
    violationWriters: withLog ? [(line) => (run.violationBytes += line.length)] : [],
    loaderClock: () => run.clock,
  });
  pipeline.auditor.ownEndpoint(OwnEndpoint.bound('127.0.0.1', 9849));
  const { table } = pipeline.flows;
  const work = new DeferredTableWork(table, CHUNK_FLOWS);
  run.table = table;
  run.tick = () => {
    table.advanceClock(run.clock);
    work.publish();
    while (work.next());
  };
  run.decoder = new LoaderStreamDecoder((e) => pipeline.flows.input.loaderEvents.handle(e), (p) => {
    throw p;
  });
  return run;
}

/** One round; CPU and wall microseconds per connection. */
function round(withLog) {
  const run = agentPipeline(withLog);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let nextTick = Math.floor(startSeconds) + 1;
  for (let at = 0; at < stream.bytes.length; at += PIPE_BYTES) {
    run.clock = startSeconds + (at / stream.bytes.length) * streamSeconds;
    run.decoder.push(stream.bytes.subarray(at, at + PIPE_BYTES));
    if (run.clock >= nextTick) {
      run.tick();
      nextTick++;
    }
  }
  run.decoder.end();
  run.clock = startSeconds + streamSeconds + DRAIN_SECONDS;
  run.tick();
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (run.table.stats.flowsEmitted !== CONNECTIONS || run.table.liveFlows !== 0) {
    throw new Error(`${run.table.stats.flowsEmitted} flows ended of ${CONNECTIONS}, ${run.table.liveFlows} live`);
  }
  return { cpu: (cpu.user + cpu.system) / CONNECTIONS, wall: wall / CONNECTIONS, violationBytes: run.violationBytes };
}

console.log(`# ${new Date().toISOString()} node ${process.version}; ${CONNECTIONS} connections (${(stream.bytes.length / 1e6).toFixed(2)} MB), ${ROUNDS} rounds after a warm-up`);
console.log('# variant cpu_us_per_connection(best median) wall_us_per_connection(best median) violation_bytes_per_connection');
for (const variant of variants) {
  const withLog = VARIANTS[variant];
  round(withLog);
  const rounds = Array.from({ length: ROUNDS }, () => round(withLog));
  const stat = (key) => {
    const v = rounds.map((r) => r[key]).sort((a, b) => a - b);
    return [v[0].toFixed(2), v[Math.floor(v.length / 2)].toFixed(2)];
  };
  console.log([variant, ...stat('cpu'), ...stat('wall'), (rounds[0].violationBytes / CONNECTIONS).toFixed(0)].join(' '));
}
