#!/usr/bin/env node
// Lines up a flood run's slow /metrics answers with what held the agent's event loop meanwhile:
// for each scrape slower than --over ms (default 60) in flood.mjs's timeline, the stalls and
// garbage collections bench/load/loop-probe.mjs logged while it waited.
//
//   node bench/load/slow-scrapes.mjs bench/out/load/flood-STAMP.json LOOP_LOG [--over 60]
import { readFileSync } from 'node:fs';

const [timelineFile, loopFile] = process.argv.slice(2);
const i = process.argv.indexOf('--over');
const over = i < 0 ? 60 : Number(process.argv[i + 1]);
const timeline = JSON.parse(readFileSync(timelineFile, 'utf8'));
const events = readFileSync(loopFile, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const replayStart = timeline.originEpochMs + timeline.replay.start * 1000;
for (const s of timeline.scrapes.filter((x) => x.ms > over)) {
  const from = timeline.originEpochMs + s.t * 1000;
  const to = from + s.ms;
  const during = events.filter((e) => e.at + (e.stall ?? e.ms) >= from && e.at <= to);
  const what = during.map((e) => (e.stall !== undefined ? `stall ${e.stall} ms` : `gc ${e.gc} ${e.ms} ms`) + ` @+${Math.round(e.at - from)}`);
  console.log(`${((from - replayStart) / 1000).toFixed(2)} s: ${s.ms.toFixed(0)} ms (live ${s.live}): ${what.join(', ') || 'no stall over 20 ms'}`);
}
