#!/usr/bin/env node
// The phases of a long flood run (FLOOD_OBSERVE=330) from flood.mjs's timelines: /metrics max,
// p99 and answers over 100 ms, and the VmRSS range, in windows of seconds from the replay start:
// the flood (the replay plus 2 s), steady (10-55 s), the UDP timeout (55-80 s: 60 s idle) and the
// TCP timeout (295 s to the end: 300 s idle), and over the whole run.
//
//   node bench/load/flood-windows.mjs bench/out/load/flood-STAMP.json...
import { readFileSync } from 'node:fs';
import { percentile } from './lib.mjs';

for (const file of process.argv.slice(2)) {
  const run = JSON.parse(readFileSync(file, 'utf8'));
  const start = run.replay.start;
  const windows = [
    ['flood', start, run.replay.end + 2],
    ['steady', start + 10, start + 55],
    ['udp-timeout', start + 55, start + 80],
    ['tcp-timeout', start + 295, Infinity],
    ['run', 0, Infinity],
  ];
  console.log(`${file}: ${run.replay.pps.toFixed(0)} pps, kernel drops ${run.final.kernelDrops}, VmHWM ${run.final.vmHwm.toFixed(0)} MiB`);
  for (const [name, from, to] of windows) {
    const ms = run.scrapes.filter((s) => s.t >= from && s.t < to && s.status === 200).map((s) => s.ms);
    const rss = run.mem.filter((m) => m.t >= from && m.t < to).map((m) => m.rss);
    if (ms.length === 0) continue;
    console.log(`  ${name.padEnd(12)} scrapes ${String(ms.length).padStart(4)}  max ${Math.max(...ms).toFixed(0).padStart(4)} ms  p99 ${percentile(ms, 99).toFixed(0).padStart(4)} ms  >100 ms ${ms.filter((x) => x > 100).length}  RSS ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB`);
  }
}
