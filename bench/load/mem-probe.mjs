// Preloaded into the agent (node --import ./bench/load/mem-probe.mjs dist/bin/flowaudit.js watch ...)
// to see where its memory is: every 250 ms one JSON line to $FA_LOAD_MEM_LOG with
// process.memoryUsage() (rss, V8 heap total and used, external, array buffers) and the used size
// of each V8 heap space, in MiB. It changes nothing in the agent; its timer does not keep it alive.
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env.FA_LOAD_MEM_LOG;
if (file) {
  const mib = (n) => Math.round((n / 1048576) * 10) / 10;
  const t0 = Date.now();
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mib(s.space_used_size)]));
    appendFileSync(file, `${JSON.stringify({ t: (Date.now() - t0) / 1000, at: Date.now(), rss: mib(m.rss), heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers), spaces })}\n`);
  }, 250).unref();
}
