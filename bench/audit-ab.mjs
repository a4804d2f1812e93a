// The audit alone, in process, for two builds at once (bench/ab-build.sh makes them): reads the
// capture's flows once (payload prefixes copied), then audits them ROUNDS times against
// bench/bench-rules.yaml with A and B alternating (A first in even rounds, B in odd ones), and
// prints per side the wall time per flow of the first round (code still cold) and the median
// and minimum of all. Both sides share the machine's moment, which runs apart in time do not.
//   node bench/audit-ab.mjs [CAPTURE] [ROUNDS]     defaults: bench/out/bench-2000000-tls.pcap, 21
const here = new URL('.', import.meta.url).pathname;
const file = process.argv[2] ?? `${here}out/bench-2000000-tls.pcap`;
const rounds = Number(process.argv[3] ?? 21);
const load = async (side) => {
  const dist = `${here}out/ab/${side}/dist`;
  return {
    AuditReport: (await import(`${dist}/audit/audit-report.js`)).AuditReport,
    Auditor: (await import(`${dist}/audit/auditor.js`)).Auditor,
    loadMatrix: (await import(`${dist}/audit/load-matrix.js`)).loadMatrix,
    DnsNameCache: (await import(`${dist}/identity/dns-name-cache.js`)).DnsNameCache,
    IdentityIndex: (await import(`${dist}/identity/identity-index.js`)).IdentityIndex,
    readFlows: (await import(`${dist}/flow/read-flows.js`)).readFlows,
    PLAIN_PREFIX_BYTES: (await import(`${dist}/cli/flow-table-options.js`)).PLAIN_PREFIX_BYTES,
  };
};
const sides = { A: await load('A'), B: await load('B') };
const kept = (d) => ({ ...d, payload: Buffer.from(d.payload) });
const flows = [];
await sides.A.readFlows([file], { onFlow: (f) => flows.push({ ...f, toServer: kept(f.toServer), toClient: kept(f.toClient) }) }, { table: { plainPayloadLimit: sides.A.PLAIN_PREFIX_BYTES } });
const perFlow = { A: [], B: [] };
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
    const m = sides[side];
    const matrix = m.loadMatrix(`${here}bench-rules.yaml`);
    const auditor = new m.Auditor(matrix, new m.IdentityIndex(), [new m.AuditReport(matrix, false)], new m.DnsNameCache({ graceSeconds: 600 }));
    const start = performance.now();
    for (const f of flows) auditor.onFlow(f);
    perFlow[side].push(((performance.now() - start) * 1000) / flows.length);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const side of ['A', 'B']) {
  const xs = perFlow[side];
  console.log(`${side}: ${flows.length} flows, wall µs a flow: first round ${xs[0].toFixed(2)}, median ${median(xs).toFixed(2)}, min ${Math.min(...xs).toFixed(2)}`);
}
