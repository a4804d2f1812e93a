/**
 * Issue 19, alerting: deploy/prometheus/flowaudit-rules.yaml passes `promtool check rules`; its unit
 * tests (deploy/prometheus/tests/, `promtool test rules`) pass, make every alert fire and stay
 * quiet, and fail when a rule loses what they test; deploy/prometheusrule.yaml is the same groups,
 * generated; every alert has a summary, a description and a runbook section that exists. Needs
 * promtool (Debian prometheus): without it the tests skip and say why; with CI=true they fail.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { newTempDir } from '../support/temp-dir.js';
import { gate, missingTools, REPO_ROOT } from '../support/tshark.js';

const tools = gate(missingTools(['promtool']));
const DIR = join(REPO_ROOT, 'deploy/prometheus');
const RULES = join(DIR, 'flowaudit-rules.yaml');
const TESTS = readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.yaml')).map((f) => join(DIR, 'tests', f));

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

interface RuleGroups {
  readonly groups: { readonly name: string; readonly rules: AlertRule[] }[];
}

interface RuleTests {
  readonly tests: { readonly alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const groups = (parse(readFileSync(RULES, 'utf8')) as RuleGroups).groups;
const alerts = groups.flatMap((g) => g.rules);

/** GitHub's anchor for a Markdown heading. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

function promtool(args: readonly string[]): { status: number | null; out: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('the alert rules', () => {
  it('cover what issue 19 names', () => {
    expect(alerts.map((a) => a.alert)).toEqual([
      'FlowauditViolation', 'FlowauditExpectedConnectionSilent', 'FlowauditRulesReloadFailed', 'FlowauditCaptureLoss', 'FlowauditKernelMapLoss',
      'FlowauditLoaderRestarts', 'FlowauditIdentitySourceDown', 'FlowauditAgentDown', 'FlowauditAgentAbsent', 'FlowauditAgentMissingOnNode',
    ]);
  });

  it('each have a severity, a summary, a description and a runbook section that exists', () => {
    const runbook = readFileSync(join(REPO_ROOT, 'docs/runbook.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!)));
    for (const a of alerts) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels.severity);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      expect(a.annotations.description, a.alert).toBeTruthy();
      expect(a.annotations.runbook_url, a.alert).toBe(`docs/runbook.md#${a.alert.toLowerCase()}`);
      expect(anchors.has(a.alert.toLowerCase()), `docs/runbook.md has a section ${a.alert}`).toBe(true);
    }
  });

  it('each have unit tests where they fire and where they do not', () => {
    const cases = TESTS.flatMap((f) => (parse(readFileSync(f, 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${a.alert} fires in a test`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${a.alert} stays quiet in a test`).toBe(true);
    }
  });

  it('are the PrometheusRule\'s groups, generated (node deploy/prometheus/prometheusrule.mjs --check)', () => {
    const check = spawnSync('node', [join(DIR, 'prometheusrule.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const resource = parse(readFileSync(join(REPO_ROOT, 'deploy/prometheusrule.yaml'), 'utf8')) as { kind: string; spec: RuleGroups };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec.groups).toEqual(groups);
  });
});

describe.skipIf(tools.skip)(`the alert rules, by promtool${tools.suffix}`, () => {
  it('pass promtool check rules', () => {
    tools.assertAvailable();
    const run = promtool(['check', 'rules', RULES]);
    expect(run.status, run.out).toBe(0);
    expect(run.out).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('pass their unit tests (promtool test rules)', () => {
    tools.assertAvailable();
    const run = promtool(['test', 'rules', ...TESTS]);
    expect(run.status, run.out).toBe(0);
    expect(run.out).toContain('SUCCESS');
  });

  // The unit tests against rules that lost a part: each must now fail, naming the alert.
  const mutations: { what: string; alert: string; from: string; to: string }[] = [
    { what: 'silent optional connections alert too', alert: 'FlowauditExpectedConnectionSilent', from: '{optional="false"}', to: '' },
    { what: 'a kind, pair and port violated for the first time goes unseen', alert: 'FlowauditViolation', from: 'sum by (kind, from, to, port) (increase(flowaudit_violations_total[10m])) > 0\n          or', to: 'sum by (kind, from, to, port) (increase(flowaudit_violations_total[10m])) > 0\n          and' },
    { what: 'evicted flows count as losses', alert: 'FlowauditKernelMapLoss', from: 'reason=~"map_full|ring_reserve_failed"', to: 'reason=~".+"' },
  ];
  for (const m of mutations) {
    it(`fail their unit tests when ${m.what}`, () => {
      tools.assertAvailable();
      const dir = newTempDir('alert-mutation');
      const source = readFileSync(RULES, 'utf8');
      expect(source).toContain(m.from);
      writeFileSync(dir.file('flowaudit-rules.yaml'), source.replace(m.from, m.to));
      const tests = TESTS.map((t) => {
        const copy = dir.write(join('tests', t.slice(t.lastIndexOf('/') + 1)), '');
        copyFileSync(t, copy);
        return copy;
      });
      const run = promtool(['test', 'rules', ...tests]);
      expect(run.status).not.toBe(0);
      expect(run.out).toContain(`alertname: ${m.alert}`);
    });
  }
});
