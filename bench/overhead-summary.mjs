// Summarises bench/overhead.sh rounds: per capture, the median of the per-round analyze/flows
// ratios with its quartiles and a 95% bootstrap interval (2,000 resamples, fixed seed), and the
// ratio of the medians. Reads one or more files of overhead.sh output, so that sets run at the
// same commit can be pooled. bench/ab-runs.sh's rounds (two builds, B/A) read the same way, with
// their columns named by --names:
//   node bench/overhead-summary.mjs [--names FIRST,SECOND] OUTPUT...
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const [first, second] = args[0] === '--names' ? args.splice(0, 2)[1].split(',') : ['flows', 'analyze'];
const rows = args
  .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
  .map((line) => line.trim().split(' '))
  .filter((r) => r.length === 5 && /^\d+$/.test(r[1]));
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};
let seed = 1;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
for (const capture of [...new Set(rows.map((r) => r[0]))]) {
  const mine = rows.filter((r) => r[0] === capture);
  const flows = mine.map((r) => +r[2]);
  const analyze = mine.map((r) => +r[3]);
  const ratios = mine.map((r) => +r[4]);
  const medians = [];
  for (let b = 0; b < 2000; b++) medians.push(quantile(ratios.map(() => ratios[Math.floor(random() * ratios.length)]), 0.5));
  console.log(
    `${capture}: ${mine.length} rounds; ${first} median ${quantile(flows, 0.5).toFixed(3)} s, ${second} median ${quantile(analyze, 0.5).toFixed(3)} s; ` +
      `${second}/${first} per round: median ${quantile(ratios, 0.5).toFixed(3)} (quartiles ${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)}, ` +
      `95% interval of the median ${quantile(medians, 0.025).toFixed(3)}-${quantile(medians, 0.975).toFixed(3)}); ratio of the medians ${(quantile(analyze, 0.5) / quantile(flows, 0.5)).toFixed(3)}`,
  );
}
