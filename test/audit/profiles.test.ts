/**
 * The shipped profiles against real traffic: `flowaudit analyze` on each capture in
 * test/fixtures/profiles/ (made by make-profile-captures.sh), checked against the tables of its
 * <profile>.expected.md: every flow's verdict, rule, notice and security grade (by client,
 * server, protocol and port), the coverage of every connection, the silent edges and the exit code;
 * where the file has them, the evidence that named each listed server (`## Names`: the component
 * and the report's `via`, e.g. a DNS answer or the TLS SNI) and the exact reasons of listed flows
 * (`## Reasons`). A site profile (site-apigee.yaml) is run on the apigee-hybrid-1.4 capture too,
 * against that capture's expectations with the rows of site-apigee.expected.md in place of theirs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTempDir } from '../support/temp-dir.js';

/** The CLI as users run it: built JavaScript in dist/ (npm run build, or npx tsc -p .). */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/bin/flowaudit.js');
const FIXTURES = join(ROOT, 'test/fixtures/profiles');
/** Captures and inventories; FLOWAUDIT_PROFILE_CAPTURE_DIR checks a fresh make-profile-captures.sh run. */
const CAPTURES = process.env.FLOWAUDIT_PROFILE_CAPTURE_DIR ?? FIXTURES;
const PROFILES = ['apigee-hybrid-1.4', 'apigee-hybrid', 'kong-konnect', 'kong-konnect-kic', 'kong-hybrid'] as const;
/** What can name a server: an inventory's hostnames, DNS answers in the capture, the TLS SNI; or nothing. */
const NAME_SOURCES = new Set(['inventory', 'dns', 'sni']);
/** The `via` of the catch-all selectors, which say nothing of who an endpoint is. */
const ADDRESS_CLASS_VIA = new Set(['internal address', 'external address']);

/** What the audit says of one flow, in the fields the expectations name. */
interface Outcome {
  readonly verdict: string;
  readonly notice: boolean;
  readonly rule: string | null;
  readonly security: string;
}

/** One row of an expected.md flows table: `n` flows with this key and outcome. */
interface ExpectedFlow extends Outcome {
  readonly key: string;
  readonly n: number;
  readonly sent: string;
  /** The row says the audit gets this one wrong today (see the file's "Known bugs"). */
  readonly knownBug: boolean;
}

/**
 * One row of a `## Names` table: what names the server of the flows with this key (`evidence`:
 * the sources in the capture and inventory, in the order the audit reads them, or none), the
 * component it is judged as, and the report's `via` for that component. No component: no selector
 * but the catch-alls matched it.
 */
interface ExpectedName {
  readonly key: string;
  readonly evidence: readonly string[];
  readonly component: string | null;
  readonly via: string | null;
}

/** One row of a `## Reasons` table: the exact reason of one flow with this key. */
interface ExpectedReason {
  readonly key: string;
  readonly reason: string;
}

interface Expected {
  readonly exitCode: number;
  readonly silent: readonly string[];
  readonly flows: readonly ExpectedFlow[];
  readonly coverage: ReadonlyMap<string, { readonly status: string; readonly flows: number }>;
  readonly names: readonly ExpectedName[];
  readonly reasons: readonly ExpectedReason[];
}

/** The parts of the JSON report (src/export/audit-json.ts) this test reads. */
interface ReportFlow {
  readonly protocol: string;
  readonly client: { readonly address: string };
  readonly server: {
    readonly address: string;
    readonly port: number;
    /** The role the verdict gives the server (the deciding rule's component), null when unknown. */
    readonly component: string | null;
    readonly components: readonly { readonly name: string; readonly via: string }[];
  };
  readonly verdict: string;
  readonly reason: string;
  readonly notice: boolean;
  readonly rule: string | null;
  readonly security: string;
}

interface Report {
  readonly compliant: boolean;
  readonly silent: readonly string[];
  readonly coverage: readonly { readonly id: string; readonly status: string; readonly flows: number }[];
  readonly flows: readonly ReportFlow[];
}

const VERDICTS = new Set(['allowed', 'unverified', 'insecure', 'weak-tls', 'mtls-missing', 'wrong-initiator', 'unexpected', 'unknown-peer', 'ignored']);

function flowKey(protocol: string, client: string, server: string, port: number): string {
  return `${client} -> ${server} ${protocol}/${port}`;
}

/** The rows of the first Markdown table after the heading `## title`, without header and rule. */
function tableRows(text: string, title: string, optional = false): string[][] {
  const start = text.indexOf(`\n## ${title}\n`);
  if (start < 0 && optional) return [];
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const end = text.indexOf('\n## ', start + 1);
  const lines = text.slice(start, end < 0 ? undefined : end).split('\n');
  const table = lines.filter((line) => line.startsWith('|'));
  return table.slice(2).map((line) => line.slice(1, -1).split('|').map((cell) => cell.trim()));
}

function lineValue(text: string, label: string): string {
  const match = new RegExp(`^${label.replace(/[()]/g, '\\$&')}: (.+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no "${label}:" line`);
  return match[1].trim();
}

/** "fa-p-mart 10.204.1.10" -> "10.204.1.10" */
function addressOf(cell: string): string {
  const match = /(\d+\.\d+\.\d+\.\d+)$/.exec(cell);
  if (match === null) throw new Error(`no address in "${cell}"`);
  return match[1];
}

/** "tcp/443" with the client and server cells -> the flow key. */
function keyOf(file: string, table: string, client: string, server: string, port: string): string {
  const portMatch = /^(tcp|udp)\/(\d+)$/.exec(port);
  if (portMatch === null) throw new Error(`${file}: ${table} row cannot be read: port "${port}"`);
  return flowKey(portMatch[1], addressOf(client), addressOf(server), Number(portMatch[2]));
}

function parseNames(file: string, text: string): ExpectedName[] {
  return tableRows(text, 'Names', true).map((cells, i): ExpectedName => {
    if (cells.length !== 6) throw new Error(`${file}: names row ${i + 1} has ${cells.length} cells, expected 6`);
    const [client, server, port, evidenceCell, component, viaCell] = cells;
    const evidence = evidenceCell.split(/,\s*/);
    const none = evidenceCell === 'none';
    if (!none && !evidence.every((e) => NAME_SOURCES.has(e))) throw new Error(`${file}: names row ${i + 1}: evidence "${evidenceCell}"`);
    if ((component === '-') !== (viaCell === '-')) throw new Error(`${file}: names row ${i + 1}: a component needs its via and a via its component`);
    // A hostname match names the first source that gave a matching name: it must be listed first.
    const source = /^hostname \S+ \(([a-z-]+)\) ~ /.exec(viaCell)?.[1];
    if ((source !== undefined || !none) && source !== evidence[0]) {
      throw new Error(`${file}: names row ${i + 1}: via "${viaCell}" does not name the first evidence "${evidence[0]}"`);
    }
    return {
      key: keyOf(file, 'names', client, server, port),
      evidence: none ? [] : evidence,
      component: component === '-' ? null : component,
      via: viaCell === '-' ? null : viaCell,
    };
  });
}

function parseReasons(file: string, text: string): ExpectedReason[] {
  return tableRows(text, 'Reasons', true).map((cells, i): ExpectedReason => {
    if (cells.length !== 4) throw new Error(`${file}: reasons row ${i + 1} has ${cells.length} cells, expected 4`);
    const [client, server, port, reason] = cells;
    return { key: keyOf(file, 'reasons', client, server, port), reason };
  });
}

function parseExpected(file: string): Expected {
  const text = readFileSync(file, 'utf8');
  const flows = tableRows(text, 'Flows').map((cells, i): ExpectedFlow => {
    if (cells.length !== 8) throw new Error(`${file}: flows row ${i + 1} has ${cells.length} cells, expected 8`);
    const [client, server, port, n, sent, security, verdictCell, rule] = cells;
    const portMatch = /^(tcp|udp)\/(\d+)$/.exec(port);
    const verdictMatch = /^([a-z-]+)(, notice)?( \(known bug: .*\))?$/.exec(verdictCell);
    if (portMatch === null || verdictMatch === null || !VERDICTS.has(verdictMatch[1]) || !/^\d+$/.test(n)) {
      throw new Error(`${file}: flows row ${i + 1} cannot be read: ${cells.join(' | ')}`);
    }
    return {
      key: flowKey(portMatch[1], addressOf(client), addressOf(server), Number(portMatch[2])),
      n: Number(n),
      sent,
      verdict: verdictMatch[1],
      notice: verdictMatch[2] !== undefined,
      rule: rule === '-' ? null : rule,
      security,
      knownBug: verdictMatch[3] !== undefined,
    };
  });
  const coverage = new Map(
    tableRows(text, 'Coverage').map(([id, status, count]) => [id, { status, flows: Number(count) }] as const),
  );
  const silent = lineValue(text, 'Silent edge (required, deliberately not exercised)').split(/,\s*/);
  return { exitCode: Number(lineValue(text, 'Exit code')), silent, flows, coverage, names: parseNames(file, text), reasons: parseReasons(file, text) };
}

/**
 * Expectations for the same capture under another matrix: the rows of `over` replace those of
 * `base` with the same key (flows, names and reasons by client, server and port; coverage by
 * connection); every other row of `base` still holds. Exit code and silent edges are `over`'s.
 */
function layered(base: Expected, over: Expected): Expected {
  const replace = <T extends { readonly key: string }>(a: readonly T[], b: readonly T[]): T[] => {
    const keys = new Set(b.map((row) => row.key));
    return [...a.filter((row) => !keys.has(row.key)), ...b];
  };
  return {
    exitCode: over.exitCode,
    silent: over.silent,
    flows: replace(base.flows, over.flows),
    coverage: new Map([...base.coverage, ...over.coverage]),
    names: replace(base.names, over.names),
    reasons: replace(base.reasons, over.reasons),
  };
}

function outcome(o: Outcome): Outcome {
  return { verdict: o.verdict, notice: o.notice, rule: o.rule, security: o.security };
}

/** Outcomes in a fixed order, so groups compare as multisets. */
function sorted(outcomes: Outcome[]): Outcome[] {
  return outcomes.map(outcome).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const temp = newTempDir('profiles').path;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -p .\``);
});

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

/** One audit run: a capture (with its inventory), the matrix it is judged by, what it must say. */
interface Suite {
  /** Names the run's report file. */
  readonly id: string;
  readonly title: string;
  readonly capture: string;
  /** A shipped profile name or a matrix file. */
  readonly rules: string;
  readonly expected: Expected;
}

const expectedOf = (name: string): Expected => parseExpected(join(FIXTURES, `${name}.expected.md`));

const SUITES: Suite[] = [
  ...PROFILES.map((profile) => ({ id: profile, title: `profile ${profile}`, capture: profile, rules: profile, expected: expectedOf(profile) })),
  {
    id: 'site-apigee',
    title: 'site profile site-apigee.yaml (includes apigee-hybrid-1.4; its backends rule inherits the TLS 1.2 floor) on the apigee-hybrid-1.4 capture',
    capture: 'apigee-hybrid-1.4',
    rules: join(FIXTURES, 'site-apigee.yaml'),
    expected: layered(expectedOf('apigee-hybrid-1.4'), expectedOf('site-apigee')),
  },
];

for (const { id, title: suiteTitle, capture, rules, expected } of SUITES) {
  describe(suiteTitle, () => {
    let status: number | null = null;
    let report: Report;
    const actualByKey = new Map<string, ReportFlow[]>();

    beforeAll(() => {
      const output = join(temp, `${id}.json`);
      const run = spawnSync(
        process.execPath,
        [
          CLI,
          'analyze',
          join(CAPTURES, `${capture}.pcapng`),
          '--rules',
          rules,
          '--inventory',
          join(CAPTURES, `${capture}.inventory.yaml`),
          '--output',
          output,
          '--quiet',
        ],
        { encoding: 'utf8' },
      );
      status = run.status;
      if (!existsSync(output)) throw new Error(`analyze wrote no report (exit ${run.status}): ${run.stderr}`);
      report = JSON.parse(readFileSync(output, 'utf8')) as Report;
      for (const f of report.flows) {
        const key = flowKey(f.protocol, f.client.address, f.server.address, f.server.port);
        actualByKey.set(key, [...(actualByKey.get(key) ?? []), f]);
      }
    });

    it(`exits ${expected.exitCode}, not compliant`, () => {
      expect(status).toBe(expected.exitCode);
      expect(report.compliant).toBe(false);
    });

    it('has exactly the flows listed, no more, no fewer', () => {
      const wanted = new Map<string, number>();
      for (const row of expected.flows) wanted.set(row.key, (wanted.get(row.key) ?? 0) + row.n);
      const seen = new Map([...actualByKey].map(([key, flows]) => [key, flows.length]));
      expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(wanted));
    });

    // One test per client/server/port group; a group with a known bug is expected to fail.
    const groups = new Map<string, ExpectedFlow[]>();
    for (const row of expected.flows) groups.set(row.key, [...(groups.get(row.key) ?? []), row]);
    for (const [key, rows] of groups) {
      const wanted = rows.flatMap((row) => Array.from({ length: row.n }, () => outcome(row)));
      const title = `${key}: ${rows.map((r) => (r.notice ? `${r.verdict} (notice)` : r.verdict)).join(', ')}`;
      const check = (): void => {
        expect(sorted(actualByKey.get(key) ?? [])).toEqual(sorted(wanted));
      };
      if (rows.some((r) => r.knownBug)) it.fails(`${title} [known bug]`, check);
      else it(title, check);
    }

    it('covers each connection as listed (seen or silent, with its flow count)', () => {
      const actual = Object.fromEntries(report.coverage.map((c) => [c.id, { status: c.status, flows: c.flows }]));
      expect(actual).toEqual(Object.fromEntries(expected.coverage));
    });

    it(`reports the silent edge ${expected.silent.join(', ')}`, () => {
      expect([...report.silent].sort()).toEqual([...expected.silent].sort());
    });

    // Who the server is and how the audit knows: the component and the report's evidence for it.
    for (const row of expected.names) {
      const evidence = row.evidence.length === 0 ? 'nothing' : row.evidence.join(' + ');
      const named = row.component === null ? 'no component (catch-alls only)' : `${row.component} via "${row.via}"`;
      it(`${row.key}: server named by ${evidence} -> ${named}`, () => {
        const flows = actualByKey.get(row.key) ?? [];
        expect(flows.length).toBeGreaterThan(0);
        for (const f of flows) {
          if (row.component === null) {
            expect(f.server.component).toBeNull();
            expect(f.server.components.filter((c) => !ADDRESS_CLASS_VIA.has(c.via))).toEqual([]);
          } else {
            expect(f.server.component).toBe(row.component);
            expect(f.server.components.find((c) => c.name === row.component)?.via).toBe(row.via);
          }
        }
      });
    }

    // The exact reasons, as a multiset per client/server/port group.
    const reasonGroups = new Map<string, string[]>();
    for (const row of expected.reasons) reasonGroups.set(row.key, [...(reasonGroups.get(row.key) ?? []), row.reason]);
    for (const [key, reasons] of reasonGroups) {
      it(`${key}: ${reasons.join(' / ')}`, () => {
        expect((actualByKey.get(key) ?? []).map((f) => f.reason).sort()).toEqual([...reasons].sort());
      });
    }
  });
}
