// The audit alone, in process: reads a capture's flows once (payload prefixes copied), then audits
// them seven times against bench/bench-rules.yaml and prints the CPU time per flow (min, median).
//   node bench/audit-loop.mjs [CAPTURE]     default bench/out/bench-2000000.pcap (npm run build first)
import { AuditReport } from '../dist/audit/audit-report.js';
import { Auditor } from '../dist/audit/auditor.js';
import { loadMatrix } from '../dist/audit/load-matrix.js';
import { PLAIN_PREFIX_BYTES } from '../dist/cli/flow-table-options.js';
import { readFlows } from '../dist/flow/read-flows.js';
import { DnsNameCache } from '../dist/identity/dns-name-cache.js';
import { IdentityIndex } from '../dist/identity/identity-index.js';

const file = process.argv[2] ?? new URL('out/bench-2000000.pcap', import.meta.url).pathname;
const kept = (d) => ({ ...d, payload: Buffer.from(d.payload) });
const flows = [];
await readFlows([file], { onFlow: (f) => flows.push({ ...f, toServer: kept(f.toServer), toClient: kept(f.toClient) }) }, { table: { plainPayloadLimit: PLAIN_PREFIX_BYTES } });
const matrix = loadMatrix(new URL('bench-rules.yaml', import.meta.url).pathname);
const perFlow = [];
for (let round = 0; round < 7; round++) {
  const auditor = new Auditor(matrix, new IdentityIndex(), [new AuditReport(matrix, false)], new DnsNameCache({ graceSeconds: 600 }));
  const start = process.cpuUsage();
  for (const f of flows) auditor.onFlow(f);
  const used = process.cpuUsage(start);
  perFlow.push((used.user + used.system) / flows.length);
}
perFlow.sort((a, b) => a - b);
console.log(`${flows.length} flows; CPU per flow: min ${perFlow[0].toFixed(2)} µs, median ${perFlow[3].toFixed(2)} µs`);
