#!/usr/bin/env node
// The flood run of the load benchmark: an agent with its defaults captures on fa-load-rx while
// tcpreplay sends the flood capture (a distinct flow per packet, bench/load/generate-flood.mjs)
// from fa-load-src. Every 100 ms, from before the replay until --observe seconds after it, the
// agent's /metrics is fetched (each response timed, request to last byte; a slow answer does not
// hold back the next request) and its VmRSS and VmHWM are read from /proc. Run by
// bench/load/run-load.sh, in the network namespace fa-load-dst (nsenter --net).
//
//   node bench/load/flood.mjs --capture FILE [--rate topspeed|PPS] [--observe 30] [--port 19848]
//        [--out bench/out/load] [--agent-args '...'] [--node-args '--cpu-prof ...'] [--signal-at S]
// --signal-at sends the agent SIGUSR2 S seconds after the replay ended (with --node-args
// --heapsnapshot-signal=SIGUSR2 it writes a heap snapshot then: a diagnostic run, the snapshot
// blocks the agent for seconds).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, get, memory, option, parseMetrics, percentile, scrapeDrained, sleep, startAgent, stopAgent, tcpreplay } from './lib.mjs';

const args = process.argv.slice(2);
const capture = option(args, '--capture');
const rate = option(args, '--rate', 'topspeed');
const observe = Number(option(args, '--observe', '30'));
const port = Number(option(args, '--port', '19848'));
const outDir = option(args, '--out', 'bench/out/load');
const agentArgs = option(args, '--agent-args', '').split(' ').filter((a) => a !== '');
const nodeArgs = option(args, '--node-args', '').split(' ').filter((a) => a !== '');
const signalAt = option(args, '--signal-at');
const INTERVAL_MS = 100;
const SLOW_MS = 100;
if (!capture) {
  console.error('usage: flood.mjs --capture FILE [--rate PPS|topspeed] [--observe SECONDS]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const log = join(outDir, `agent-flood-${stamp}.log`);

const agent = await startAgent({ port, extra: agentArgs, nodeArgs, log });
console.log(`agent: ${agent.command} (pid ${agent.pid}), log ${log}`);
const origin = performance.now();
const now = () => (performance.now() - origin) / 1000;
const scrapes = []; // { t, ms, status, live, packets, received, drops }
const mem = []; // { t, rss, hwm }
let inFlight = 0;
let maxInFlight = 0;
const pending = new Set();

const timer = setInterval(() => {
  const t = now();
  try {
    mem.push({ t, ...memory(agent.pid) });
  } catch {
    // the agent is gone
  }
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const p = get(port, '/metrics', 30_000).then(
    (r) => {
      const m = parseMetrics(r.body);
      scrapes.push({
        t, ms: r.ms, status: r.status, live: m.flowaudit_live_flows, packets: m.flowaudit_packets_total,
        received: m.flowaudit_capture_received_packets_total, drops: m.flowaudit_capture_kernel_drops_total, evicted: m.flowaudit_flow_evictions_total,
      });
    },
    (err) => scrapes.push({ t, ms: NaN, status: 0, error: err.message }),
  ).finally(() => {
    inFlight--;
    pending.delete(p);
  });
  pending.add(p);
}, INTERVAL_MS);

await sleep(2000);
const cpu0 = cpuSeconds(agent.pid);
const replayStart = now();
const replay = await tcpreplay(capture, rate);
const replayEnd = now();
const cpu1 = cpuSeconds(agent.pid);
console.log(`tcpreplay: ${replay.sent} packets in ${replay.seconds} s (${replay.pps.toFixed(0)} pps), failed ${replay.failed}`);
if (signalAt === undefined) await sleep(observe * 1000);
else {
  await sleep(Number(signalAt) * 1000);
  agent.child.kill('SIGUSR2');
  await sleep(Math.max(0, observe - Number(signalAt)) * 1000);
}
clearInterval(timer);
await Promise.all([...pending]);
const final = await scrapeDrained(port, 0);
const finalMem = memory(agent.pid);
const stopped = await stopAgent(agent);

function summary(name, from, to) {
  const s = scrapes.filter((x) => x.t >= from && x.t < to);
  const ok = s.filter((x) => x.status === 200).map((x) => x.ms);
  const m = mem.filter((x) => x.t >= from && x.t < to);
  return {
    phase: name, from, to, scrapes: s.length, failed: s.length - ok.length,
    p50: percentile(ok, 50), p99: percentile(ok, 99), max: Math.max(...ok), over100: ok.filter((ms) => ms > SLOW_MS).length,
    peakRss: Math.max(...m.map((x) => x.rss)),
  };
}
// The flood phase runs until the capture has caught up (2 s past the replay: TPACKET_V3 blocks are
// handed over within 1 s).
const phases = [
  summary('before', 0, replayStart),
  summary('flood', replayStart, replayEnd + 2),
  summary('after', replayEnd + 2, Infinity),
  summary('all', 0, Infinity),
];
console.log('\nphase   from..to (s)     scrapes failed  p50 ms  p99 ms  max ms  >100ms  peak VmRSS MiB');
for (const p of phases) {
  console.log([
    p.phase.padEnd(7), `${p.from.toFixed(1)}..${Number.isFinite(p.to) ? p.to.toFixed(1) : 'end'}`.padStart(14),
    String(p.scrapes).padStart(9), String(p.failed).padStart(6), p.p50.toFixed(1).padStart(7), p.p99.toFixed(1).padStart(7),
    p.max.toFixed(1).padStart(7), String(p.over100).padStart(7), p.peakRss.toFixed(0).padStart(15),
  ].join(' '));
}
const slowest = scrapes.filter((x) => x.status === 200).sort((a, b) => b.ms - a.ms).slice(0, 12);
console.log('\nslowest scrapes (t from the replay start, s: ms, live flows answered)');
console.log(slowest.map((x) => `  ${(x.t - replayStart).toFixed(1)}: ${x.ms.toFixed(0)} ms (live ${x.live})`).join('\n'));
const result = {
  capture, rate, observe, command: agent.command,
  // Wall-clock ms of t = 0, to line the timeline up with the agent's own logs (loop-probe.mjs).
  originEpochMs: performance.timeOrigin + origin,
  replay: { sent: replay.sent, seconds: replay.seconds, pps: replay.pps, failed: replay.failed, start: replayStart, end: replayEnd },
  agentCpuDuringReplay: (cpu1 - cpu0) / (replayEnd - replayStart),
  final: {
    received: final.flowaudit_capture_received_packets_total, delivered: final.flowaudit_packets_total,
    kernelDrops: final.flowaudit_capture_kernel_drops_total, interfaceDrops: final.flowaudit_capture_interface_drops_total,
    flowsStarted: final.flowaudit_flows_started_total, liveFlows: final.flowaudit_live_flows, liveFlowsPeak: final.flowaudit_live_flows_peak,
    evicted: final.flowaudit_flow_evictions_total, vmRss: finalMem.rss, vmHwm: finalMem.hwm,
  },
  shutdown: stopped,
  maxInFlight,
  phases,
  scrapes,
  mem,
};
console.log(`\nsent ${replay.sent}, received ${result.final.received}, delivered ${result.final.delivered}, kernel drops ${result.final.kernelDrops}, interface drops ${result.final.interfaceDrops}`);
console.log(`flows started ${result.final.flowsStarted}, live peak ${result.final.liveFlowsPeak}, live at the end ${result.final.liveFlows}, evicted ${result.final.evicted}`);
console.log(`agent CPU during the replay ${(result.agentCpuDuringReplay * 100).toFixed(0)}%; VmHWM ${finalMem.hwm.toFixed(0)} MiB, VmRSS at the end ${finalMem.rss.toFixed(0)} MiB; most /metrics requests in flight at once: ${maxInFlight}`);
console.log(`shutdown (SIGTERM: drain, end and judge every live flow): ${(stopped.ms / 1000).toFixed(1)} s, exit ${stopped.code ?? stopped.signal}`);
const file = join(outDir, `flood-${stamp}.json`);
writeFileSync(file, JSON.stringify(result, null, 1));
console.log(`timeline: ${file}`);
