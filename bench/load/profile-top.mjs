#!/usr/bin/env node
// Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: the functions with the
// most self time, and the most inclusive time (a function's samples with it anywhere on the
// stack, counted once per sample), optionally only in a window of the profile, and the longest
// stretches of consecutive samples with one of the named functions on the stack (garbage
// collection samples included): the event loop was blocked for at least that long.
//
//   node bench/load/profile-top.mjs FILE.cpuprofile [--top 25] [--from S --to S] [--spans fn1,fn2]
//   (--from/--to: seconds since the profile started)
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const profile = JSON.parse(readFileSync(args[0], 'utf8'));
const top = Number(opt('--top', 25));
const from = Number(opt('--from', 0)) * 1e6;
const to = Number(opt('--to', Infinity)) * 1e6;
const spanNames = opt('--spans', 'publishUpdates,sweep,evictLeastRecent,grow,flush,onFlowUpdate,onFlow').split(',');

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => {
  const f = n.callFrame;
  const file = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
  return `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
};

const self = new Map();
const inclusive = new Map();
let total = 0;
let t = profile.startTime;
// Spans: consecutive samples whose stack holds one of the named functions.
const open = new Map(); // name -> start time
const spans = [];
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i];
  t += dt;
  const rel = t - profile.startTime;
  const id = profile.samples[i];
  const names = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) names.add(nodes.get(n).callFrame.functionName);
  // A garbage collection (or V8's own work) inside a call is sampled without its JS stack: it
  // neither opens nor ends a span.
  const leafName = nodes.get(id).callFrame.functionName;
  const detached = leafName === '(garbage collector)' || leafName === '(program)';
  for (const name of detached ? [] : spanNames) {
    if (names.has(name)) {
      if (!open.has(name)) open.set(name, rel);
    } else if (open.has(name)) {
      spans.push({ name, start: open.get(name), end: rel });
      open.delete(name);
    }
  }
  if (rel < from || rel >= to) continue;
  // Time a sample stands for: the gap to the next sample (V8's own convention).
  const weight = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
  total += weight;
  const leaf = label(nodes.get(id));
  self.set(leaf, (self.get(leaf) ?? 0) + weight);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const l = label(nodes.get(n));
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + weight);
  }
}
for (const [name, start] of open) spans.push({ name, start, end: t - profile.startTime });

const ms = (us) => (us / 1000).toFixed(1).padStart(9);
const window = Number.isFinite(to) || from > 0 ? ` in ${from / 1e6}..${Number.isFinite(to) ? to / 1e6 : 'end'} s` : '';
console.log(`${args[0]}: ${(total / 1000).toFixed(0)} ms sampled${window}, profile ${((t - profile.startTime) / 1e6).toFixed(1)} s`);
console.log('\nself time (ms)');
for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)}  ${l}`);
console.log('\ninclusive time (ms)');
for (const [l, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)}  ${l}`);
console.log('\nlongest stretches inside ... (ms, @ start in s since the profile began)');
for (const name of spanNames) {
  const s = spans.filter((x) => x.name === name).sort((a, b) => (b.end - b.start) - (a.end - a.start));
  if (s.length === 0) continue;
  const sum = s.reduce((n, x) => n + x.end - x.start, 0);
  console.log(`  ${name}: ${s.length} spans, ${(sum / 1000).toFixed(0)} ms in all; longest ${s.slice(0, 6).map((x) => `${((x.end - x.start) / 1000).toFixed(0)} (@${(x.start / 1e6).toFixed(1)})`).join(', ')}`);
}
