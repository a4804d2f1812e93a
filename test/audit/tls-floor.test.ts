/**
 * The TLS floor (`defaults.minTlsVersion`): the tls and mtls rules that name no version inherit
 * it, a site including a profile inherits the profile's and may raise or lower it (for the
 * included rules too), a floor below TLS 1.2 must say why, and the judge calls a handshake below
 * the floor weak-tls.
 */
import { describe, expect, test } from 'vitest';
import type { ComponentMatch } from '../../src/audit/component-matcher.js';
import { FlowJudge } from '../../src/audit/flow-judge.js';
import type { Matrix } from '../../src/audit/matrix.js';
import type { MatrixError } from '../../src/audit/matrix-error.js';
import type { ProtocolVersion } from '../../src/audit/verdict.js';
import { audit, flow, inventoryIndex } from './audit-fixtures.js';
import { loadErrorIn, loadIn } from './fixtures-rules/load-rules.js';
import { positionOf } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';

const temp = tempDir('rules');

/** A profile with a tls rule, an mtls rule, a none rule and a tls rule naming TLS 1.3 itself. */
function vendor(defaults: string): string {
  return `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: vendor, title: Vendor }
${defaults}
components:
  web: { match: [{ cidrs: ["10.0.1.0/24"] }] }
  api: { match: [{ cidrs: ["10.0.2.0/24"] }] }
connections:
  - { id: web-tls, from: web, to: api, protocol: tcp, ports: [443], security: tls }
  - { id: web-mtls, from: web, to: api, protocol: tcp, ports: [8443], security: mtls }
  - { id: web-plain, from: web, to: api, protocol: tcp, ports: [80], security: none }
  - { id: web-tls13, from: web, to: api, protocol: tcp, ports: [9443], security: tls, minTlsVersion: "1.3" }
`;
}

/** A site profile including vendor.yaml, with its own rule web -> api tcp/7443 tls. */
function site(defaults: string, include = './vendor.yaml'): string {
  return `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: site, title: Site }
include: [${include}]
${defaults}
connections:
  - { id: site-tls, from: web, to: api, protocol: tcp, ports: [7443], security: tls }
`;
}

const load = (path: string): Matrix => loadIn(temp.path, path);
const loadError = (path: string): MatrixError => loadErrorIn(temp.path, path);

function floors(m: Matrix): Record<string, string | undefined> {
  return Object.fromEntries(m.connections.map((c) => [c.id, c.minTlsVersion]));
}

describe('a profile-level floor', () => {
  test('tls and mtls rules inherit it; none rules and rules with their own version do not', () => {
    const path = temp.write('floor/vendor.yaml', vendor('defaults: { minTlsVersion: "1.2" }'));
    const m = load(path);
    expect(floors(m)).toEqual({ 'web-tls': '1.2', 'web-mtls': '1.2', 'web-plain': undefined, 'web-tls13': '1.3' });
    expect(m.tlsFloor).toEqual({ version: '1.2', origin: { file: path, line: 4 } });
  });

  test('without defaults no rule requires a version', () => {
    const m = load(temp.write('none/vendor.yaml', vendor('')));
    expect(floors(m)).toEqual({ 'web-tls': undefined, 'web-mtls': undefined, 'web-plain': undefined, 'web-tls13': '1.3' });
    expect(m.tlsFloor).toBeUndefined();
  });

  test('the floor is part of the hash: the same rules under another floor hash differently', () => {
    const a = load(temp.write('hash-a/vendor.yaml', vendor('defaults: { minTlsVersion: "1.2" }')));
    const b = load(temp.write('hash-b/vendor.yaml', vendor('defaults: { minTlsVersion: "1.3" }')));
    expect(a.hash).not.toBe(b.hash);
  });
});

describe('a site including a profile', () => {
  temp.write('site/vendor.yaml', vendor('defaults: { minTlsVersion: "1.2" }'));

  test('inherits the included floor, for its own rules too', () => {
    const m = load(temp.write('site/inherit.yaml', site('')));
    expect(m.tlsFloor?.version).toBe('1.2');
    expect(floors(m)).toMatchObject({ 'web-tls': '1.2', 'site-tls': '1.2' });
  });

  test('may raise it, for the included rules too', () => {
    const m = load(temp.write('site/raise.yaml', site('defaults: { minTlsVersion: "1.3" }')));
    expect(floors(m)).toEqual({ 'web-tls': '1.3', 'web-mtls': '1.3', 'web-plain': undefined, 'web-tls13': '1.3', 'site-tls': '1.3' });
  });

  test('may lower it, with the reason written, for the included rules too', () => {
    const m = load(temp.write('site/lower.yaml', site('defaults: { minTlsVersion: "1.0", minTlsVersionReason: "the legacy scrapers speak TLS 1.0 until Q3" }')));
    expect(floors(m)).toMatchObject({ 'web-tls': '1.0', 'web-mtls': '1.0', 'site-tls': '1.0', 'web-tls13': '1.3' });
    expect(m.tlsFloor).toMatchObject({ version: '1.0', reason: 'the legacy scrapers speak TLS 1.0 until Q3' });
  });

  test('of two included floors, inherits the higher', () => {
    temp.write('site/strict.yaml', vendor('defaults: { minTlsVersion: "1.3" }').replace('name: vendor', 'name: strict').replaceAll('web-', 'strict-'));
    const m = load(temp.write('site/two.yaml', site('', './vendor.yaml, ./strict.yaml')));
    expect(m.tlsFloor?.version).toBe('1.3');
    expect(floors(m)).toMatchObject({ 'web-tls': '1.3', 'strict-tls': '1.3', 'site-tls': '1.3' });
  });
});

describe('a floor below TLS 1.2 says why', () => {
  test('defaults: without a reason, the line of defaults', () => {
    const text = vendor('defaults: { minTlsVersion: "1.1" }');
    const e = loadError(temp.write('why/defaults.yaml', text));
    expect(e.message).toBe(`why/defaults.yaml:${positionOf(text, 'defaults').line}:11: defaults: missing required key "minTlsVersionReason" (a TLS floor below 1.2 must say why)`);
  });

  test('a rule: without a reason, the line of the rule', () => {
    const text = vendor('').replace('security: tls }', 'security: tls, minTlsVersion: "1.0" }');
    const e = loadError(temp.write('why/rule.yaml', text));
    expect(e.message).toBe(`why/rule.yaml:${positionOf(text, 'id: web-tls,').line}:5: connections[0]: missing required key "minTlsVersionReason" (a TLS floor below 1.2 must say why)`);
  });

  test('a rule with its reason loads, below the floor', () => {
    const text = vendor('defaults: { minTlsVersion: "1.2" }').replace('security: tls }', 'security: tls, minTlsVersion: "1.0", minTlsVersionReason: "a printer" }');
    expect(floors(load(temp.write('why/rule-ok.yaml', text)))['web-tls']).toBe('1.0');
  });

  test('a reason where nothing is lowered is refused', () => {
    const text = vendor('defaults: { minTlsVersion: "1.2", minTlsVersionReason: "because" }');
    const e = loadError(temp.write('why/needless.yaml', text));
    expect(e.message).toBe(`why/needless.yaml:${positionOf(text, 'defaults').line}:${positionOf(text, '"because"').column}: defaults: minTlsVersionReason explains a floor below TLS 1.2, but minTlsVersion "1.2" is set here`);
  });
});

test('rules that overlap disagree once the floor is applied: a conflict', () => {
  const text = vendor('defaults: { minTlsVersion: "1.2" }').replace(
    '  - { id: web-mtls',
    '  - { id: web-tls-legacy, from: web, to: api, protocol: tcp, ports: [443], security: tls, minTlsVersion: "1.0", minTlsVersionReason: "old" }\n  - { id: web-mtls',
  );
  const e = loadError(temp.write('conflict/vendor.yaml', text));
  expect(e.message).toMatch(/connection "web-tls-legacy" conflicts with "web-tls" .*minTlsVersion differs \(1\.2 vs 1\.0\)$/);
});

describe('the judge under the floor', () => {
  const m = load(temp.write('judge/vendor.yaml', vendor('defaults: { minTlsVersion: "1.2" }')));
  const judge = new FlowJudge(m);
  const as = (component: string): ComponentMatch[] => [{ component, via: 'test', context: false, identified: true }];
  const verdict = (port: number, tlsVersion: ProtocolVersion): string =>
    judge.judge({
      protocol: 'tcp',
      clientAddress: '10.0.1.5',
      serverAddress: '10.0.2.5',
      serverPort: port,
      client: as('web'),
      server: as('api'),
      security: { grade: 'tls', detail: `TLS ${tlsVersion}`, tlsVersion },
    }).kind;

  test.each([
    ['ssl3.0', 'weak-tls'],
    ['1.0', 'weak-tls'],
    ['1.1', 'weak-tls'],
    ['1.2', 'allowed'],
    ['1.3', 'allowed'],
  ] as const)('TLS %s on an inherited floor: %s', (version, kind) => {
    expect(verdict(443, version)).toBe(kind);
  });

  test('a rule naming TLS 1.3 keeps it: TLS 1.2 is weak there', () => {
    expect(verdict(9443, '1.2')).toBe('weak-tls');
  });

  test('an SSL 3.0 handshake on the wire is weak-tls, and reads as SSL 3.0', () => {
    const record = (type: number, body: Buffer): Buffer => {
      const message = Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
      return Buffer.concat([Buffer.from([0x16, 0x03, 0x00, message.length >> 8, message.length & 0xff]), message]);
    };
    // ClientHello and ServerHello of SSL 3.0 (0x0300), one suite, no extensions; then ServerHelloDone.
    const clientHello = record(1, Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(32, 1), Buffer.from([0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00])]));
    const serverHello = record(2, Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(32, 2), Buffer.from([0x00, 0x00, 0x2f, 0x00])]));
    const flows = [flow({ client: '10.0.1.5:40000', server: '10.0.2.5:443', toServer: clientHello, toClient: Buffer.concat([serverHello, record(14, Buffer.alloc(0))]) })];
    const [f] = audit(m, inventoryIndex('entries: []\n'), flows).audited;
    expect(f.verdict).toMatchObject({ kind: 'weak-tls', reason: 'Rule web-tls requires TLS 1.2 or later for web -> api, but the capture shows SSL 3.0, server asked for no client certificate' });
    expect(f.verdict.security.tlsVersion).toBe('ssl3.0');
  });
});
