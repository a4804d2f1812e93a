// What bench/audit-loop.mjs and bench/audit-ab.mjs share: one build's audit modules, a capture's
// flows read once with their payload prefixes copied (the table lends them only during onFlow),
// and one audit of them all against bench/bench-rules.yaml with fresh caches.
const RULES = new URL('bench-rules.yaml', import.meta.url).pathname;

/** The audit modules of the build whose dist/ is at `dist` (a directory path). */
export async function auditModules(dist) {
  return {
    AuditReport: (await import(`${dist}/audit/audit-report.js`)).AuditReport,
    Auditor: (await import(`${dist}/audit/auditor.js`)).Auditor,
    loadMatrix: (await import(`${dist}/audit/load-matrix.js`)).loadMatrix,
    DnsNameCache: (await import(`${dist}/identity/dns-name-cache.js`)).DnsNameCache,
    IdentityIndex: (await import(`${dist}/identity/identity-index.js`)).IdentityIndex,
    // src/pipeline since issue 16; builds from before it have it in src/flow.
    readFlows: (await import(`${dist}/pipeline/read-flows.js`).catch(() => import(`${dist}/flow/read-flows.js`))).readFlows,
    PLAIN_PREFIX_BYTES: (await import(`${dist}/cli/flow-table-options.js`)).PLAIN_PREFIX_BYTES,
  };
}

/** The capture's flows as `analyze` sees them, payload prefixes copied. */
export async function keptFlows(m, file) {
  const kept = (d) => ({ ...d, payload: Buffer.from(d.payload) });
  const flows = [];
  await m.readFlows([file], { onFlow: (f) => flows.push({ ...f, toServer: kept(f.toServer), toClient: kept(f.toClient) }) }, { table: { plainPayloadLimit: m.PLAIN_PREFIX_BYTES } });
  return flows;
}

/** Audits every flow once with a fresh Auditor; `measure(run)` times the loop and returns its figure. */
export function auditOnce(m, flows, measure) {
  const matrix = m.loadMatrix(RULES);
  const auditor = new m.Auditor(matrix, new m.IdentityIndex(), [new m.AuditReport(matrix, false)], new m.DnsNameCache({ graceSeconds: 600 }));
  return measure(() => {
    for (const f of flows) auditor.onFlow(f);
  });
}
