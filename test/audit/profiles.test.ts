/**
 * The shipped profiles against real traffic: `flowaudit analyze` on each capture in
 * test/fixtures/profiles/ (made by make-profile-captures.sh), checked against the tables of its
 * <profile>.expected.md: every flow's verdict, rule, notice and security grade (by client,
 * server, protocol and port), the coverage of every connection, the silent edges and the exit code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as users run it: built JavaScript in dist/ (npm run build, or npx tsc -p .). */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const FIXTURES = join(ROOT, 'test/fixtures/profiles');
/** Captures and inventories; FLOWAUDIT_PROFILE_CAPTURE_DIR checks a fresh make-profile-captures.sh run. */
const CAPTURES = process.env.FLOWAUDIT_PROFILE_CAPTURE_DIR ?? FIXTURES;
const PROFILES = ['apigee-hybrid-1.4', 'apigee-hybrid', 'kong-konnect', 'kong-hybrid'] as const;

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

interface Expected {
  readonly exitCode: number;
  readonly silent: readonly string[];
  readonly flows: readonly ExpectedFlow[];
  readonly coverage: ReadonlyMap<string, { readonly status: string; readonly flows: number }>;
}

/** The parts of the JSON report (src/export/audit-json.ts) this test reads. */
interface ReportFlow {
  readonly protocol: string;
  readonly client: { readonly address: string };
  readonly server: { readonly address: string; readonly port: number };
  readonly verdict: string;
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
function tableRows(text: string, title: string): string[][] {
  const start = text.indexOf(`\n## ${title}\n`);
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
  return { exitCode: Number(lineValue(text, 'Exit code')), silent, flows, coverage };
}

function outcome(o: Outcome): Outcome {
  return { verdict: o.verdict, notice: o.notice, rule: o.rule, security: o.security };
}

/** Outcomes in a fixed order, so groups compare as multisets. */
function sorted(outcomes: Outcome[]): Outcome[] {
  return outcomes.map(outcome).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const temp = mkdtempSync(join(tmpdir(), 'fa-profiles-'));

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -p .\``);
});

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

for (const profile of PROFILES) {
  describe(`profile ${profile}`, () => {
    const expected = parseExpected(join(FIXTURES, `${profile}.expected.md`));
    let status: number | null = null;
    let report: Report;
    const actualByKey = new Map<string, ReportFlow[]>();

    beforeAll(() => {
      const output = join(temp, `${profile}.json`);
      const run = spawnSync(
        process.execPath,
        [
          CLI,
          'analyze',
          join(CAPTURES, `${profile}.pcapng`),
          '--rules',
          profile,
          '--inventory',
          join(CAPTURES, `${profile}.inventory.yaml`),
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
  });
}
