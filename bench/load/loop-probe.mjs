// Preloaded into the agent (node --import ./bench/load/loop-probe.mjs dist/bin/flowaudit.js watch ...)
// to see what holds its event loop: one JSON line to $FA_LOAD_LOOP_LOG per stall (a 2 ms timer
// that fired more than 20 ms late: the loop was busy for that long) and per garbage collection
// longer than 5 ms (kind and duration, from perf_hooks), each stamped with the wall clock (`at`,
// ms since the epoch) so it lines up with bench/load/flood.mjs's scrapes. Costs the agent a timer
// every 2 ms; its timer does not keep it alive.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const file = process.env.FA_LOAD_LOOP_LOG;
if (file) {
  const PERIOD_MS = 2;
  const STALL_MS = 20;
  const GC_MS = 5;
  const kinds = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
  const wall = (t) => Math.round(performance.timeOrigin + t);
  const lines = [];
  const flush = () => {
    if (lines.length > 0) appendFileSync(file, lines.splice(0).join('\n') + '\n');
  };
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - PERIOD_MS;
    if (late > STALL_MS) lines.push(JSON.stringify({ stall: Math.round(late), at: wall(last + PERIOD_MS) }));
    last = now;
  }, PERIOD_MS).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration > GC_MS) lines.push(JSON.stringify({ gc: kinds[e.detail?.kind] ?? e.detail?.kind, ms: Math.round(e.duration), at: wall(e.startTime) }));
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}
