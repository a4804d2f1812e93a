// Stands in for the agent on the eBPF engine (`flowaudit watch --engine ebpf`, to come in issue
// 17) in bench/engine-cost.sh: spawns the loader with the arguments given and decodes its whole
// stream with LoaderStreamDecoder (src/engine/loader-stream.ts, from dist/ after npm run build),
// as the agent will before its flow table. It does no audit: its CPU is the floor of the wired
// agent's. It says on stderr which interfaces the loader attached to (the bench's readiness
// probe). On SIGTERM it stops the loader and, when $SUMMARY names a file, writes there one JSON
// line: events decoded, payload chunks, TCP flows reported finished that had a SYN (each loader
// flow ends once: closed, idle, evicted, interface-gone or stop), stream problems, the last
// counters, and the most entries the flow map held at a sweep.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LoaderStreamDecoder } from '../../dist/engine/loader-stream.js';

// $LOADER: another build's loader, to compare two (bench/engine-cost.sh's ebpf-b variant).
const loader = spawn(process.env.LOADER ?? fileURLToPath(new URL('../../native/build/flowaudit-loader', import.meta.url)), process.argv.slice(2), {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const summary = { events: 0, payloadChunks: 0, tcpFlowsEnded: 0, evictedFlows: 0, problems: 0, counters: null, peakMapEntries: 0 };
const decoder = new LoaderStreamDecoder(
  (e) => {
    summary.events++;
    if (e.kind === 'payload') summary.payloadChunks++;
    else if (e.kind === 'interface') process.stderr.write(`loader-agent: ${e.attached ? 'attached' : 'let go'} ${e.name}\n`);
    else if (e.kind === 'counters') {
      summary.counters = e;
      summary.peakMapEntries = Math.max(summary.peakMapEntries, e.mapEntries);
    }
    else if (e.kind === 'flow' && e.end !== 'live' && e.key.protocol === 6 && e.synSide !== null) {
      summary.tcpFlowsEnded++;
      if (e.end === 'evicted') summary.evictedFlows++;
    }
  },
  () => summary.problems++,
);
loader.stdout.on('data', (chunk) => decoder.push(chunk));
loader.on('exit', (code, signal) => {
  decoder.end();
  if (process.env.SUMMARY) writeFileSync(process.env.SUMMARY, `${JSON.stringify({ ...summary, loaderExit: code ?? signal })}\n`);
  process.exit(code === 0 ? 0 : 1);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => loader.kill('SIGTERM'));
