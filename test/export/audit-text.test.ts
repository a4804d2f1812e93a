/** The text summary analyze prints: every expected connection seen or SILENT, counts, findings, Result line. */
import { describe, expect, it } from 'vitest';
import { AuditReport } from '../../src/audit/audit-report.js';
import { auditText } from '../../src/export/audit-text.js';
import { audit, flow, inventoryIndex, matrixFrom, TLS_CLIENT_HELLO, TLS_SERVER_HELLO } from '../audit/audit-fixtures.js';
import { REPORT_MATRIX, reportScenario } from './report-scenario.js';

describe('text summary', () => {
  it('lists every connection, the verdicts, the findings most important first with an example each, notices and the result', () => {
    const { report } = reportScenario();
    expect(auditText(report, false, 15)).toBe(
      [
        'Matrix reports (Reports test matrix)',
        '',
        'Expected connections:',
        '  seen               web-to-api   web -> api   tcp/443             tls   3 flows, 1.7 KiB, 2023-11-14 22:13:20Z .. 2023-11-14 22:13:51Z',
        '  seen               api-to-db    api -> db    tcp/5432,6000-6001  none  1 flow, 2.0 MiB, 2023-11-14 22:14:10Z .. 2023-11-14 23:13:20Z',
        '  SILENT             api-to-logs  api -> logs  tcp/20001           tls',
        '  silent (optional)  web-to-logs  web -> logs  tcp/20002           none',
        '  seen               db-backup    db -> logs   tcp/7000            none  1 flow, 800 B, 2023-11-14 22:14:50Z .. 2023-11-14 22:14:55Z',
        '',
        'Flows by verdict: allowed 3, unverified 1, insecure 1, wrong-initiator 1, unexpected 2, unknown-peer 1',
        '',
        'Findings, most important first:',
        '  INSECURE  web -> api tcp/443: 1 flow, 650 B',
        '      Rule web-to-api requires TLS for web -> api, but the capture shows plaintext (http)',
        '      e.g. 10.0.1.5:40002 -> 10.0.2.8:443 at 2023-11-14 22:13:40Z (flow 2)',
        '  WRONG-INITIATOR  api -> web tcp/443: 1 flow, 100 B',
        '      Rule web-to-api allows web -> api, but api opened this connection',
        '      e.g. 10.0.2.8:40004 -> 10.0.1.5:443 at 2023-11-14 22:14:00Z (flow 4)',
        '  UNEXPECTED  web -> db tcp/22: 2 flows, 400 B',
        '      No rule allows tcp/22 from web to db',
        '      e.g. 10.0.1.5:40007 -> 10.0.3.3:22 at 2023-11-14 22:14:30Z (flow 7)',
        '  UNKNOWN-PEER  172.16.0.0/24 -> api tcp/443: 1 flow, 1 address, 60 B',
        '      Client 172.16.0.1 matches no component',
        '      e.g. 172.16.0.1:40006 -> 10.0.2.8:443 at 2023-11-14 22:14:20Z (flow 6)',
        '  unverified  web -> api tcp/443: 1 flow, 180 B',
        '      Rule web-to-api requires TLS for web -> api, which the capture cannot prove: no payload captured',
        '      e.g. 10.0.1.6:40003 -> 10.0.2.9:443 at 2023-11-14 22:13:50Z (flow 3)',
        '',
        'Notices (allowed, reported by rule severity): 1 flow, e.g. 10.0.3.3:40009 -> 10.0.7.1:7000 at 2023-11-14 22:14:50Z (flow 9) (db-backup)',
        '',
        'Result: NOT COMPLIANT: 5 violating flows, 1 silent required connection (api-to-logs)',
        '',
      ].join('\n'),
    );
  });

  it('with failOnUnverified, unverified findings are upper case and counted in the result', () => {
    const text = auditText(reportScenario().report, true, 15);
    expect(text).toContain('\n  UNVERIFIED  web -> api tcp/443: 1 flow, 180 B\n');
    expect(text.endsWith('\nResult: NOT COMPLIANT: 5 violating flows, 1 silent required connection (api-to-logs), 1 unverified\n')).toBe(true);
  });

  it('a compliant run, with unverified flows noted', () => {
    const { matrix } = reportScenario();
    const tls = { toServer: TLS_CLIENT_HELLO, toClient: TLS_SERVER_HELLO };
    const { report } = audit(matrix, inventoryIndex('entries: []\n'), [
      flow({ client: '10.0.1.5:41001', server: '10.0.2.8:443', ...tls }),
      flow({ client: '10.0.2.8:41002', server: '10.0.3.3:5432' }),
      flow({ id: 3, client: '10.0.2.8:41003', server: '10.0.7.1:20001' }),
    ]);
    expect(auditText(report, false, 15)).toBe(
      [
        'Matrix reports (Reports test matrix)',
        '',
        'Expected connections:',
        '  seen               web-to-api   web -> api   tcp/443             tls   1 flow, 500 B, 2023-11-14 22:13:20Z .. 2023-11-14 22:13:21Z',
        '  seen               api-to-db    api -> db    tcp/5432,6000-6001  none  1 flow, 500 B, 2023-11-14 22:13:20Z .. 2023-11-14 22:13:21Z',
        '  seen               api-to-logs  api -> logs  tcp/20001           tls   1 flow, 500 B, 2023-11-14 22:13:20Z .. 2023-11-14 22:13:21Z',
        '  silent (optional)  web-to-logs  web -> logs  tcp/20002           none',
        '  silent (optional)  db-backup    db -> logs   tcp/7000            none',
        '',
        'Flows by verdict: allowed 2, unverified 1',
        '',
        'Findings, most important first:',
        '  unverified  api -> logs tcp/20001: 1 flow, 500 B',
        '      Rule api-to-logs requires TLS for api -> logs, which the capture cannot prove: no payload captured',
        '      e.g. 10.0.2.8:41003 -> 10.0.7.1:20001 at 2023-11-14 22:13:20Z (flow 3)',
        '',
        'Result: COMPLIANT (1 flow unverified)',
        '',
      ].join('\n'),
    );
    expect(auditText(report, true, 15).endsWith('\nResult: NOT COMPLIANT: 0 violating flows, 1 unverified\n')).toBe(true);
  });

  it('no flows at all: every required connection SILENT', () => {
    const { matrix } = reportScenario();
    const text = auditText(new AuditReport(matrix, false), false, 15);
    expect(text.split('\n').filter((l) => l.startsWith('  SILENT')).map((l) => l.split(/\s+/)[2])).toEqual(['web-to-api', 'api-to-db', 'api-to-logs']);
    expect(text).toContain('\nFlows by verdict: no flows\n');
    expect(text.endsWith('\nResult: NOT COMPLIANT: 0 violating flows, 3 silent required connections (web-to-api, api-to-db, api-to-logs)\n')).toBe(true);
  });

  it('shows at most maxGroups groups, most important first, and counts the rest by kind', () => {
    const text = auditText(reportScenario().report, false, 2);
    const findings = text.slice(text.indexOf('\nFindings'), text.indexOf('\n\nNotices')).split('\n').slice(1);
    expect(findings[0]).toBe('Findings, most important first (2 of 5 groups):');
    expect(findings.filter((l) => /^ {2}\S/.test(l))).toEqual([
      '  INSECURE  web -> api tcp/443: 1 flow, 650 B',
      '  WRONG-INITIATOR  api -> web tcp/443: 1 flow, 100 B',
      '  ... 3 more groups: unexpected 1 (2 flows), unknown-peer 1 (1 flow), unverified 1 (1 flow); --max-groups shows more, a JSON report (--output FILE.json) has them all',
    ]);
    expect(findings).toHaveLength(1 + 2 * 3 + 1);
  });

  it('the result names at most five silent required connections, so it stays one line', () => {
    // Seven more required connections before the scenario's three.
    const many = matrixFrom(
      REPORT_MATRIX.replace(
        'connections:\n',
        `connections:\n${[1, 2, 3, 4, 5, 6, 7].map((i) => `  - id: extra-${i}\n    from: web\n    to: db\n    protocol: tcp\n    ports: [${9000 + i}]\n    security: none\n`).join('')}`,
      ),
    );
    const text = auditText(new AuditReport(many, false), false, 15);
    expect(text.endsWith('\nResult: NOT COMPLIANT: 0 violating flows, 10 silent required connections (extra-1, extra-2, extra-3, extra-4, extra-5 and 5 more)\n')).toBe(true);
  });
});
