// The audit alone, in process, for two builds at once (bench/ab-build.sh makes them): reads the
// capture's flows once (payload prefixes copied), then audits them ROUNDS times against
// bench/bench-rules.yaml with A and B alternating (A first in even rounds, B in odd ones), and
// prints per side the wall time per flow of the first round (code still cold) and the median
// and minimum of all. Both sides share the machine's moment, which runs apart in time do not.
//   node bench/audit-ab.mjs [CAPTURE] [ROUNDS]     defaults: bench/out/bench-2000000-tls.pcap, 21
import { auditModules, auditOnce, keptFlows } from './audit-bench.mjs';

const here = new URL('.', import.meta.url).pathname;
const file = process.argv[2] ?? `${here}out/bench-2000000-tls.pcap`;
const rounds = Number(process.argv[3] ?? 21);
const sides = { A: await auditModules(`${here}out/ab/A/dist`), B: await auditModules(`${here}out/ab/B/dist`) };
const flows = await keptFlows(sides.A, file);
const wallMicros = (run) => {
  const start = performance.now();
  run();
  return (performance.now() - start) * 1000;
};
const perFlow = { A: [], B: [] };
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) perFlow[side].push(auditOnce(sides[side], flows, wallMicros) / flows.length);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const side of ['A', 'B']) {
  const xs = perFlow[side];
  console.log(`${side}: ${flows.length} flows, wall µs a flow: first round ${xs[0].toFixed(2)}, median ${median(xs).toFixed(2)}, min ${Math.min(...xs).toFixed(2)}`);
}
