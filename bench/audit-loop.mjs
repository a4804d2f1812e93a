// The audit alone, in process: reads a capture's flows once (payload prefixes copied), then audits
// them seven times against bench/bench-rules.yaml and prints the CPU time per flow (min, median).
//   node bench/audit-loop.mjs [CAPTURE]     default bench/out/bench-2000000.pcap (npm run build first)
import { auditModules, auditOnce, keptFlows } from './audit-bench.mjs';

const file = process.argv[2] ?? new URL('out/bench-2000000.pcap', import.meta.url).pathname;
const m = await auditModules(new URL('../dist', import.meta.url).pathname);
const flows = await keptFlows(m, file);
const cpuMicros = (run) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
};
const perFlow = [];
for (let round = 0; round < 7; round++) perFlow.push(auditOnce(m, flows, cpuMicros) / flows.length);
perFlow.sort((a, b) => a - b);
console.log(`${flows.length} flows; CPU per flow: min ${perFlow[0].toFixed(2)} µs, median ${perFlow[3].toFixed(2)} µs`);
