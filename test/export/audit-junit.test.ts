/** JUnit XML: well-formed (parsed strictly), one case per expected connection and per violation group, counts right. */
import { describe, expect, it } from 'vitest';
import { AuditReport } from '../../src/audit/audit-report.js';
import type { AuditedFlow } from '../../src/audit/audited-flow.js';
import { auditJunitXml } from '../../src/export/audit-junit.js';
import { elements, parseXml, type XmlElement } from './xml-check.js';
import { reportScenario } from './report-scenario.js';

function suite(xml: string): { root: XmlElement; cases: XmlElement[] } {
  const root = parseXml(xml);
  expect(root.name).toBe('testsuites');
  expect(root.children.map((c) => c.name)).toEqual(['testsuite']);
  return { root, cases: elements(root, 'testcase') };
}

describe('JUnit XML', () => {
  const { report } = reportScenario();

  it('has a case per expected connection and per violation group, with the counts in both headers', () => {
    const { root, cases } = suite(auditJunitXml(report, false));
    expect(cases).toHaveLength(5 + 5);
    expect(root.attributes).toEqual({ name: 'flowaudit', tests: '10', failures: '5', skipped: '2' });
    expect(root.children[0].attributes).toEqual({ name: 'flowaudit reports', tests: '10', failures: '5', skipped: '2', errors: '0' });
    expect(elements(root, 'failure')).toHaveLength(5);
    expect(elements(root, 'skipped')).toHaveLength(2);
  });

  it('connections: seen passes, silent required fails, silent optional is skipped', () => {
    const { cases } = suite(auditJunitXml(report, false));
    const connections = cases.filter((c) => c.attributes.classname === 'connections');
    expect(connections.map((c) => [c.attributes.name, c.children.map((x) => x.name).join()])).toEqual([
      ['web-to-api: web -> api tcp/443 tls', 'system-out'],
      ['api-to-db: api -> db tcp/5432,6000-6001 none', 'system-out'],
      ['api-to-logs: api -> logs tcp/20001 tls', 'failure'],
      ['web-to-logs: web -> logs tcp/20002 none', 'skipped'],
      ['db-backup: db -> logs tcp/7000 none', 'system-out'],
    ]);
    expect(connections[0].children[0].text).toBe('3 flows, 1730 bytes');
    expect(connections[4].children[0].text).toBe('1 flow, 800 bytes');
    expect(connections[2].children[0].attributes).toEqual({ type: 'silent', message: 'required connection api-to-logs carried no flow' });
    expect(connections[3].children[0].attributes).toEqual({ message: 'optional connection not seen' });
  });

  it('violation groups fail with kind and reason; unverified ones are skipped', () => {
    const { cases } = suite(auditJunitXml(report, false));
    const groups = cases.filter((c) => c.attributes.classname === 'violations');
    expect(groups.map((c) => [c.attributes.name, c.children[0].name, c.children[0].attributes.type])).toEqual([
      ['insecure: web -> api tcp/443', 'failure', 'insecure'],
      ['wrong-initiator: api -> web tcp/443', 'failure', 'wrong-initiator'],
      ['unexpected: web -> db tcp/22', 'failure', 'unexpected'],
      ['unknown-peer: 172.16.0.0/24 -> api tcp/443', 'failure', 'unknown-peer'],
      ['unverified: web -> api tcp/443', 'skipped', undefined],
    ]);
    expect(groups[2].children[0].attributes.message).toBe('2 flows; No rule allows tcp/22 from web to db; e.g. 10.0.1.5:40007 -> 10.0.3.3:22, 10.0.1.5:40008 -> 10.0.3.3:22');
  });

  it('with failOnUnverified, unverified groups fail too', () => {
    const { root, cases } = suite(auditJunitXml(report, true));
    expect([root.attributes.tests, root.attributes.failures, root.attributes.skipped]).toEqual(['10', '6', '1']);
    const unverified = cases.find((c) => c.attributes.name === 'unverified: web -> api tcp/443')!;
    expect(unverified.children[0].name).toBe('failure');
    expect(unverified.children[0].attributes.type).toBe('unverified');
  });

  it('escapes < > & " in names and messages', () => {
    const nasty = '<script>alert("x") && 1 > 0</script>';
    const base = reportScenario().audited.find((f) => f.verdict.kind === 'unexpected')!;
    const flow: AuditedFlow = { ...base, verdict: { ...base.verdict, reason: nasty } };
    const own = new AuditReport(report.matrix, false);
    own.onAuditedFlow(flow);
    const xml = auditJunitXml(own, false);
    expect(xml).not.toContain('<script>');
    const failure = elements(suite(xml).root, 'failure').find((f) => f.attributes.type === 'unexpected')!;
    expect(failure.attributes.message).toBe(`1 flow; ${nasty}; e.g. 10.0.1.5:40007 -> 10.0.3.3:22`);
  });

  it('a report with no flows is still a well-formed suite', () => {
    const empty = new AuditReport(report.matrix, false);
    const { root, cases } = suite(auditJunitXml(empty, false));
    expect(cases).toHaveLength(5);
    expect([root.attributes.failures, root.attributes.skipped]).toEqual(['3', '2']);
  });
});

describe('the XML checker itself', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a b="<"/>')).toThrow(/raw </);
    expect(() => parseXml('<a>&</a>')).toThrow();
    expect(() => parseXml('<a>&bogus;</a>')).toThrow(/unknown entity/);
    expect(() => parseXml('<a><b></a>')).toThrow(/closes/);
    expect(() => parseXml('<a b="1" b="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml('<a/><b/>')).toThrow(/after the root/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
    expect(parseXml('<a x="&lt;&amp;&quot;&#62;">t&gt;</a>')).toEqual({ name: 'a', attributes: { x: '<&">' }, children: [], text: 't>' });
  });
});
