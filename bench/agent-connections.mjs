// What the agent spends per new connection on the eBPF engine (issue 17), without the kernel:
// the synthetic loader stream of bench/loader-streams.mjs (per connection a 64-byte payload chunk
// each way, a live and a final Flow report; 20,000 connections a second of stream time) through
// everything `watch --engine ebpf` runs per event, from dist/ (npm run build first):
// LoaderStreamDecoder, the agent's pipeline as buildAgentPipeline wires it (LoaderFlowMapper, the
// flow table with the agent's options and all of --max-flows allocated, the LiveAuditor on
// rules/platform-baseline.yaml, AuditMetrics on a prom-client registry), and the agent's tick once
// a second of stream time (the clock moved, live flows with new evidence judged, timed-out ones
// swept, in CHUNK_FLOWS steps). Payload chunks are stamped with the stream's time, not the wall
// clock, so a run does the same work every time. Not included: scrapes (one every 15-60 s).
//
// One pipeline runs the whole stream, as the agent does: WARM_UP_SECONDS of connections first
// (closed connections are swept 5 s after their last packet, so by then every second ends as many
// flows as it starts, and the table's slots and payload buffers are reused), then ROUNDS timed
// rounds of CONNECTIONS each. Each connection is judged live at the tick after its payload and
// again when the sweep ends it; the sender's ports repeat every 64,000 connections (3.2 s), so a
// port's new connection meets the old one still lingering closed, as in the kernel-side test.
//
//   node bench/agent-connections.mjs [CONNECTIONS] [ROUNDS] [VARIANT]   defaults: 20000, 7, both variants
//
// Variants: `agent`, as bench/engine-cost.sh runs it (no violation log), and `agent+log`, as
// deployed with --violation-log: every connection here violates (no identities), so each writes
// one violation record, serialised to NDJSON and dropped (the file's writes not included).
// Prints per variant the best and median CPU microseconds per connection (process.cpuUsage: user
// and system, GC included) and wall microseconds over the ROUNDS, and the heap used and RSS after
// them (the second variant's include what the first left).
//
// The stream is generated once (protobufjs, slow) into bench/out/ and read from there after.
// Instructions a connection (deterministic, bench/RESULTS.md "Session 10"): the difference of two
// runs with different ROUNDS, divided by the extra connections, e.g.
//   valgrind --tool=cachegrind --cache-sim=no node --single-threaded --hash-seed=1 --random-seed=1 \
//     bench/agent-connections.mjs 20000 1 agent      (and ... 20000 3 agent)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
/** Past the closed timeout (5 s): from then on each second's sweeps end a second of connections. */
const WARM_UP_SECONDS = 6;
/** watch's defaults (src/cli/watch-command.ts). */
const SEEN_WINDOW_SECONDS = 600;
const DNS_GRACE_SECONDS = 600;

const gapSeconds = Number(CONNECTION_GAP_NS) / 1e9;
const startSeconds = Number(CONNECTION_START_NS) / 1e9;
const warmUpConnections = Math.round(WARM_UP_SECONDS / gapSeconds);
const matrix = loadMatrix(fileURLToPath(new URL('../rules/platform-baseline.yaml', import.meta.url)));

/** The stream of `n` connections from connection `first`, made once and kept in bench/out/. */
function segment(first, n) {
  const out = fileURLToPath(new URL('out/', import.meta.url));
  const file = `${out}agent-connections-${first}-${n}.stream`;
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(out, { recursive: true });
  const { bytes } = connectionStream(n, first);
  writeFileSync(file, bytes);
  return bytes;
}

/** The agent's pipeline, and what the bench drives it with. */
function agentPipeline(withLog) {
  const run = { clock: startSeconds, nextTick: Math.floor(startSeconds) + 1, violationBytes: 0 };
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
  run.decoder = new LoaderStreamDecoder((e) => pipeline.flows.input.loaderEvents.handle(e), (p) => {
    throw p;
  });
  /** Pushes connections `first` to `first + n - 1` in pipe-sized pieces, ticking once a stream second. */
  run.feed = (bytes, first, n) => {
    for (let at = 0; at < bytes.length; at += PIPE_BYTES) {
      run.clock = startSeconds + (first + (at / bytes.length) * n) * gapSeconds;
      run.decoder.push(bytes.subarray(at, at + PIPE_BYTES));
      if (run.clock >= run.nextTick) {
        table.advanceClock(run.clock);
        work.publish();
        while (work.next());
        run.nextTick++;
      }
    }
  };
  return run;
}

console.log(`# ${new Date().toISOString()} node ${process.version}; ${WARM_UP_SECONDS} s of connections (${warmUpConnections}) to warm up, then ${ROUNDS} rounds of ${CONNECTIONS}`);
console.log('# variant cpu_us_per_connection(best median) wall_us_per_connection(best median) violation_bytes_per_connection live_flows_at_end heap_used_MB rss_MB');
const warmUp = segment(0, warmUpConnections);
const rounds = Array.from({ length: ROUNDS }, (_, i) => segment(warmUpConnections + i * CONNECTIONS, CONNECTIONS));
for (const variant of variants) {
  const run = agentPipeline(VARIANTS[variant]);
  run.feed(warmUp, 0, warmUpConnections);
  const measured = rounds.map((bytes, i) => {
    const violationBytes = run.violationBytes;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    run.feed(bytes, warmUpConnections + i * CONNECTIONS, CONNECTIONS);
    const wall = Number(process.hrtime.bigint() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { cpu: (cpu.user + cpu.system) / CONNECTIONS, wall: wall / CONNECTIONS, violationBytes: (run.violationBytes - violationBytes) / CONNECTIONS };
  });
  const stat = (key) => {
    const v = measured.map((r) => r[key]).sort((a, b) => a - b);
    return [v[0].toFixed(2), v[Math.floor(v.length / 2)].toFixed(2)];
  };
  const started = warmUpConnections + ROUNDS * CONNECTIONS;
  if (run.table.stats.flowsStarted !== started) throw new Error(`${run.table.stats.flowsStarted} flows started for ${started} connections`);
  globalThis.gc?.(); // with node --expose-gc: what stays live, not what the next GC would free
  const memory = process.memoryUsage();
  console.log([variant, ...stat('cpu'), ...stat('wall'), stat('violationBytes')[1], run.table.liveFlows, (memory.heapUsed / 1e6).toFixed(0), (memory.rss / 1e6).toFixed(0)].join(' '));
}
