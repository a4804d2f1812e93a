#!/usr/bin/env node
// The rate steps of the load benchmark: for each rate and repeat, a fresh agent captures on
// fa-load-rx while tcpreplay sends the capture from fa-load-src; once the capture is drained, the
// agent's counters are set against what tcpreplay sent. Run by bench/load/run-load.sh, in the
// network namespace fa-load-dst (nsenter --net).
//
//   node bench/load/steps.mjs --capture FILE [--rates 25000,50000,...,topspeed,topspeedx2] [--repeats 3]
//        [--cpu-limit MILLICPU] [--warmup PACKETS] [--port 19847] [--out bench/out/load] [--agent-args '...']
// A rate is packets/s per sender or "topspeed", optionally xN for N senders at once (e.g.
// topspeedx2): on this machine one tcpreplay cannot outrun the agent. --cpu-limit runs the agent
// under a CFS quota (as a Kubernetes CPU limit does), so that it can be outrun. --warmup sends the
// capture's first PACKETS packets at 20,000/s to each fresh agent first, waits for them to drain,
// and counts the step from there (counter differences): the step then measures a warm agent, not
// V8 compiling the packet path while packets arrive.
// FILE holds whole packets: run-load.sh pads the benchmark capture with tcprewrite --fixlen=pad.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DST_NS, RX_DEV, SRC_NS, TX_DEV, cpuLimit, cpuSeconds, linkStats, median, option, scrapeDrained, softnet, startAgent, stopAgent, tcpreplay,
} from './lib.mjs';

const args = process.argv.slice(2);
const capture = option(args, '--capture');
const rates = option(args, '--rates', '25000,50000,100000,200000,400000,topspeed,topspeedx2').split(',');
const repeats = Number(option(args, '--repeats', '3'));
const port = Number(option(args, '--port', '19847'));
const outDir = option(args, '--out', 'bench/out/load');
const agentArgs = option(args, '--agent-args', '').split(' ').filter((a) => a !== '');
const millicpu = option(args, '--cpu-limit');
const warmup = Number(option(args, '--warmup', '0'));
const cgroup = millicpu === undefined ? undefined : cpuLimit(Number(millicpu));
process.on('exit', () => cgroup?.remove());
if (!capture) {
  console.error('usage: steps.mjs --capture FILE [--rates ...] [--repeats N]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const rows = [];

const header = 'rate       rep    sent   tcpr pps  received  delivered  k.drops  if.drops  recv-sent  kdrop-(sent-deliv)  veth rx/tx drop  backlog drop  agent CPU  tcpreplay CPU';
console.log(header);
// Repeats outermost: each rate's runs are spread over the whole session, not bunched in one noisy minute.
for (let rep = 1; rep <= repeats; rep++) {
  for (const rate of rates) {
    const log = join(outDir, `agent-step-${stamp}-${rate}-${rep}.log`);
    const agent = await startAgent({ port, extra: agentArgs, log, cgroup });
    let m0 = { flowaudit_capture_received_packets_total: 0, flowaudit_packets_total: 0, flowaudit_capture_kernel_drops_total: 0, flowaudit_capture_interface_drops_total: 0, flowaudit_decode_errors_total: 0, flowaudit_flows_started_total: 0 };
    if (warmup > 0) {
      await tcpreplay(capture, 20000, () => {}, warmup);
      m0 = await scrapeDrained(port);
    }
    const rx0 = linkStats(DST_NS, RX_DEV);
    const tx0 = linkStats(SRC_NS, TX_DEV);
    const sn0 = softnet();
    const [, pps, senders = '1'] = /^(topspeed|\d+)(?:x(\d+))?$/.exec(rate) ?? [];
    if (pps === undefined) throw new Error(`rate ${rate}: expected PPS or topspeed, optionally xN`);
    const throttle0 = cgroup?.stat();
    const cpu0 = cpuSeconds(agent.pid);
    const t0 = performance.now();
    const replays = await Promise.all(Array.from({ length: Number(senders) }, () => tcpreplay(capture, pps)));
    const cpu1 = cpuSeconds(agent.pid);
    const throttle1 = cgroup?.stat();
    const replay = {
      sent: replays.reduce((n, r) => n + r.sent, 0),
      pps: replays.reduce((n, r) => n + r.pps, 0),
      seconds: Math.max(...replays.map((r) => r.seconds)),
      failed: replays.reduce((n, r) => n + r.failed, 0),
      cpu: replays.reduce((n, r) => n + r.cpu, 0),
    };
    const wall = (performance.now() - t0) / 1000;
    const m = await scrapeDrained(port);
    const rx1 = linkStats(DST_NS, RX_DEV);
    const tx1 = linkStats(SRC_NS, TX_DEV);
    const sn1 = softnet();
    const stopped = await stopAgent(agent);
    const row = {
      rate, rep,
      sent: replay.sent,
      tcpreplayPps: replay.pps,
      tcpreplaySeconds: replay.seconds,
      tcpreplayFailed: replay.failed,
      tcpreplayCpu: replay.cpu,
      received: m.flowaudit_capture_received_packets_total - m0.flowaudit_capture_received_packets_total,
      delivered: m.flowaudit_packets_total - m0.flowaudit_packets_total,
      kernelDrops: m.flowaudit_capture_kernel_drops_total - m0.flowaudit_capture_kernel_drops_total,
      interfaceDrops: m.flowaudit_capture_interface_drops_total - m0.flowaudit_capture_interface_drops_total,
      decodeErrors: (m.flowaudit_decode_errors_total ?? 0) - (m0.flowaudit_decode_errors_total ?? 0),
      flowsStarted: m.flowaudit_flows_started_total - m0.flowaudit_flows_started_total,
      warmupPackets: warmup,
      warmupDrops: m0.flowaudit_capture_kernel_drops_total,
      vethRxPackets: rx1.rxPackets - rx0.rxPackets,
      vethRxDropped: rx1.rxDropped - rx0.rxDropped,
      vethTxDropped: tx1.txDropped - tx0.txDropped,
      backlogDropped: sn1.dropped - sn0.dropped,
      agentCpu: (cpu1 - cpu0) / wall,
      cpuLimit: millicpu === undefined ? null : Number(millicpu) / 1000,
      throttledSeconds: cgroup === undefined ? null : throttle1.throttledSeconds - throttle0.throttledSeconds,
      agentExit: stopped.code,
    };
    row.receivedMinusSent = row.received - row.sent;
    row.identity = row.kernelDrops - (row.sent - row.delivered);
    rows.push(row);
    console.log([
      String(rate).padEnd(9), String(rep).padStart(3), String(row.sent).padStart(8), row.tcpreplayPps.toFixed(0).padStart(10),
      String(row.received).padStart(9), String(row.delivered).padStart(10), String(row.kernelDrops).padStart(8), String(row.interfaceDrops).padStart(9),
      String(row.receivedMinusSent).padStart(10), String(row.identity).padStart(19),
      `${row.vethRxDropped}/${row.vethTxDropped}`.padStart(16), String(row.backlogDropped).padStart(13),
      `${(row.agentCpu * 100).toFixed(0)}%`.padStart(10), `${(row.tcpreplayCpu * 100).toFixed(0)}%`.padStart(14),
    ].join(' '));
  }
}

console.log('\nmedians per rate (drops as min..max over the repeats)');
console.log('rate       tcpr pps(med)  drops min..max   drop % (med)  identity holds  received==sent  agent CPU (med)');
for (const rate of rates) {
  const rs = rows.filter((r) => r.rate === rate);
  const drops = rs.map((r) => r.kernelDrops);
  console.log([
    String(rate).padEnd(10), median(rs.map((r) => r.tcpreplayPps)).toFixed(0).padStart(13),
    `${Math.min(...drops)}..${Math.max(...drops)}`.padStart(15),
    `${median(rs.map((r) => (100 * r.kernelDrops) / r.sent)).toFixed(2)}%`.padStart(13),
    `${rs.filter((r) => r.identity === 0).length}/${rs.length}`.padStart(15),
    `${rs.filter((r) => r.receivedMinusSent === 0).length}/${rs.length}`.padStart(15),
    `${(median(rs.map((r) => r.agentCpu)) * 100).toFixed(0)}%`.padStart(16),
  ].join(' '));
}
const file = join(outDir, `steps-${stamp}.json`);
writeFileSync(file, JSON.stringify({ capture, cpuLimitMillicpu: millicpu ?? null, warmup, repeats, rates, rows }, null, 1));
console.log(`\nraw rows: ${file}`);
