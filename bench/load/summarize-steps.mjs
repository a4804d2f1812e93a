#!/usr/bin/env node
// Prints the rows of one or more steps-*.json (bench/load/steps.mjs) as a Markdown table per file,
// one line per rate: achieved packets/s (median and range), packets sent per run, drops (range),
// whether received == sent and kernel drops == sent - delivered held in every run, the veth and
// backlog drops, and the agent's CPU (median and range).
//
//   node bench/load/summarize-steps.mjs bench/out/load/steps-*.json
import { readFileSync } from 'node:fs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs, f = (x) => String(x)) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return f(lo) === f(hi) ? f(lo) : `${f(lo)}-${f(hi)}`;
};
const k = (n) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(Math.round(n)));

for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const limit = r.cpuLimitMillicpu == null ? 'no CPU limit' : `CPU limit ${r.cpuLimitMillicpu}m`;
  console.log(`\n${file}: ${limit}, warm-up ${r.warmup ?? 0} packets, ${r.repeats} runs per rate\n`);
  console.log('| rate asked | achieved pps, median (range) | sent per run | kernel drops (range) | drop % (median) | received = sent | kernel drops = sent - delivered | interface / veth / backlog drops | agent CPU, median (range) |');
  console.log('|---|---:|---:|---:|---:|:-:|:-:|:-:|---:|');
  const rates = [...new Set(r.rows.map((x) => x.rate))];
  for (const rate of rates) {
    const rs = r.rows.filter((x) => x.rate === rate);
    const other = rs.reduce((n, x) => n + x.interfaceDrops + x.vethRxDropped + x.vethTxDropped + x.backlogDropped, 0);
    console.log(`| ${rate} | ${k(median(rs.map((x) => x.tcpreplayPps)))} (${range(rs.map((x) => x.tcpreplayPps), k)}) | ${range(rs.map((x) => x.sent), k)} | ${range(rs.map((x) => x.kernelDrops))} | ${median(rs.map((x) => (100 * x.kernelDrops) / x.sent)).toFixed(1)}% | ${rs.filter((x) => x.receivedMinusSent === 0).length}/${rs.length} | ${rs.filter((x) => x.identity === 0).length}/${rs.length} | ${other === 0 ? 'none' : other} | ${(100 * median(rs.map((x) => x.agentCpu))).toFixed(0)}% (${range(rs.map((x) => 100 * x.agentCpu), (v) => v.toFixed(0))}) |`);
  }
}
