/**
 * Every writer's output against the published JSON Schemas (schemas/, docs/output.md): `flows`
 * JSON and NDJSON, `analyze`'s JSON report and NDJSON (all flows, violations only), and the
 * agent's violation records, on the bundled captures; and a flow in `analyze`'s records is the
 * flow `flows` writes, plus the audit's fields.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveAuditor } from '../../src/audit/live-auditor.js';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { AuditNdjsonSink } from '../../src/export/audit-ndjson.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { parseInventory } from '../../src/identity/inventory.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { expectSchema } from '../support/record-schemas.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/bin/flowaudit.js');
const PROFILES = join(ROOT, 'test/fixtures/profiles');
const CAPTURES = [
  join(ROOT, 'test/fixtures/captures/traffic.pcapng'),
  join(ROOT, 'test/fixtures/captures/nflog.pcap'),
  join(ROOT, 'test/fixtures/tls/tls-handshakes.pcap'),
  join(ROOT, 'test/fixtures/dns/dns-answers.pcap'),
  ...['apigee-hybrid-1.4', 'kong-hybrid'].map((p) => join(PROFILES, `${p}.pcapng`)),
];
/** The fields an audit adds to a flow record, at its top and in each end. */
const AUDIT_FIELDS = ['verdict', 'reason', 'rule', 'notice', 'security', 'security_detail', 'tls'];
const AUDIT_ENDPOINT_FIELDS = ['component', 'components', 'names'];

const dir = tempDir('schemas');

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status === 0 || (args[0] === 'analyze' && r.status === 1), r.stderr).toBe(true);
  return r.stdout;
}

const lines = (text: string): Record<string, any>[] => text.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

describe.each(CAPTURES.map((path) => ({ name: path.slice(ROOT.length + 1), path })))('$name', ({ path }) => {
  it('flows -f ndjson: every line is a flow record', () => {
    const records = lines(cli('flows', path, '-f', 'ndjson', '-q'));
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expectSchema('flow', r, `flow ${r.id}`);
  });

  it('flows -f json: the run and the flows', () => {
    expectSchema('flows-report', JSON.parse(cli('flows', path, '-f', 'json', '-q')), 'flows -f json');
  });
});

describe.each(['apigee-hybrid-1.4', 'apigee-hybrid', 'kong-konnect', 'kong-konnect-kic', 'kong-hybrid'])('analyze on the %s profile capture', (profile) => {
  const capture = join(PROFILES, `${profile}.pcapng`);
  const inventory = join(PROFILES, `${profile}.inventory.yaml`);
  const out = (name: string) => dir.file(`${profile}.${name}`);
  cli('analyze', capture, '--rules', profile, '--inventory', inventory, '-q', '-o', out('json'), '-o', out('ndjson'));
  cli('analyze', capture, '--rules', profile, '--inventory', inventory, '-q', '-o', out('violations.ndjson'), '--ndjson-records', 'violations');
  const records = lines(readFileSync(out('ndjson'), 'utf8'));

  it('the JSON report fits its schema, each flow the audited flow record', () => {
    expectSchema('audit-report', JSON.parse(readFileSync(out('json'), 'utf8')), 'JSON report');
  });

  it('every NDJSON record and every violation record is an audited flow record', () => {
    for (const r of records) expectSchema('audited-flow', r, `flow ${r.id}`);
    const violations = lines(readFileSync(out('violations.ndjson'), 'utf8'));
    expect(violations.length).toBeGreaterThan(0);
    for (const r of violations) expectSchema('audited-flow', r, `violation ${r.id}`);
  });

  it("a flow in analyze's records is the flow in flows -f ndjson, plus the audit's fields", () => {
    const listed = new Map(lines(cli('flows', capture, '-f', 'ndjson', '-q')).map((f) => [f.id as number, f]));
    expect(records).toHaveLength(listed.size);
    for (const audited of records) {
      const own = Object.fromEntries(Object.entries(audited).filter(([k]) => !AUDIT_FIELDS.includes(k)));
      for (const end of ['client', 'server']) own[end] = Object.fromEntries(Object.entries(own[end]).filter(([k]) => !AUDIT_ENDPOINT_FIELDS.includes(k)));
      // analyze keeps payload prefixes for the TLS reader, flows none by default: only how many differs.
      const flow = listed.get(audited.id)!;
      for (const d of ['to_server', 'to_client']) own[d] = { ...own[d], payload_kept: flow[d].payload_kept, payload_stop: flow[d].payload_stop };
      expect(own, `flow ${audited.id}`).toEqual(flow);
    }
  });
});

describe('the schemas are closed', () => {
  const path = join(ROOT, 'test/fixtures/tls/tls-handshakes.pcap');
  const flow = lines(cli('flows', path, '-f', 'ndjson', '-q'))[0];

  it('a field of neither kind, or one the audit adds, is not a flow record', () => {
    expect(() => expectSchema('flow', { ...flow, verdict: 'allowed' }, 'with a verdict')).toThrow();
    expect(() => expectSchema('flow', { ...flow, client: { ...flow.client, component: null } }, 'with a component')).toThrow();
    expect(() => expectSchema('flow', { ...flow, firstSeen: 1 }, 'camelCase')).toThrow();
  });

  it('a flow record without the audit is not an audited flow record', () => {
    expect(() => expectSchema('audited-flow', flow, 'no audit')).toThrow();
  });
});

describe("the agent's violation records", () => {
  it('as the live audit writes them, updates and final records, are audited flow records', async () => {
    const profile = 'kong-hybrid';
    const matrix = loadMatrix(profile);
    const identities = new IdentityIndex({ inventories: [parseInventory(readFileSync(join(PROFILES, `${profile}.inventory.yaml`), 'utf8'), 'inventory.yaml')] });
    const written: string[] = [];
    const live = new LiveAuditor(matrix, identities, [new AuditNdjsonSink('violations', (line) => written.push(line))]);
    // Each flow is judged live first (an update), then ends: the two records the agent writes.
    const sink = { onFlow: (f: FlowRecord) => (live.onFlowUpdate({ ...f, endReason: 'update' }), live.onFlow(f)) };
    await readFlows([join(PROFILES, `${profile}.pcapng`)], sink, { table: { payloadLimit: 4096 } });
    expect(written.length).toBeGreaterThan(0);
    for (const line of written) expectSchema('audited-flow', JSON.parse(line), line.slice(0, 60));
  });
});
