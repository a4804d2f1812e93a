import { describe, expect, test } from 'vitest';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { MatrixError } from '../../src/audit/matrix-error.js';
import { VALID, positionOf } from './fixtures-rules/rules-text.js';
import { tempDir } from '../support/temp-dir.js';
import { aliasBomb } from '../support/hostile-yaml.js';

const temp = tempDir('rules');
let counter = 0;

/** Writes `text`, loads it, and returns the MatrixError it must throw. */
function errorOf(text: string, name = `case-${++counter}.yaml`): MatrixError {
  const path = temp.write(name, text);
  try {
    loadMatrix(path, { cwd: temp.path });
  } catch (err) {
    if (err instanceof MatrixError) return err;
    throw err;
  }
  throw new Error(`${name} loaded without error`);
}

/** The error is at the `occurrence`-th `needle` of `text`, and its message matches `message`. */
function expectErrorAt(text: string, needle: string, message: RegExp, occurrence = 1): MatrixError {
  const err = errorOf(text);
  const { line, column } = positionOf(text, needle, occurrence);
  expect({ line: err.line, column: err.column }).toEqual({ line, column });
  expect(err.detail).toMatch(message);
  expect(err.message).toBe(`${err.file}:${line}:${column}: ${err.detail}`);
  expect(err.message).not.toContain('\n');
  return err;
}

const connection = (body: string): string => VALID + body;

test('the valid base loads', () => {
  const m = loadMatrix(temp.write('valid.yaml', VALID));
  expect(m.connections.map((c) => c.id)).toEqual(['a-to-b']);
});

describe('YAML', () => {
  test('syntax error', () => {
    const text = VALID.replace('ports: [443]', 'ports: [443');
    const err = errorOf(text);
    expect(err.detail).toMatch(/^YAML: Flow sequence .* end with a \]$/);
    expect(err.line).toBe(positionOf(text, 'security').line);
  });
  test('duplicate key', () => {
    const text = VALID.replace('    security: tls\n', '    security: tls\n    security: mtls\n');
    expectErrorAt(text, 'security: mtls', /^duplicate key "security"/);
  });
  test('an empty file is not a matrix', () => {
    const err = errorOf('');
    expect(err.detail).toMatch(/document: must be a map/);
  });
  test('an alias bomb, at the alias that crosses the bound', () => {
    expectErrorAt(VALID + aliasBomb(9), '*a4', /^aliases expand the document to more than 100000 values \(an alias bomb\?\)$/);
  });
  test('an alias with no anchor, at the alias', () => {
    const text = VALID.replace('title: T', 'title: *t');
    expectErrorAt(text, '*t', /^alias \*t has no anchor &t before it$/);
  });
  test('keys and values are quoted as 40-character excerpts', () => {
    const key = 'k'.repeat(1000); // YAML's longest implicit key is 1024 characters
    expectErrorAt(VALID.replace('    security: tls', `    security: tls\n    ${key}: 1`), key, new RegExp(`^connections\\[0\\]: unknown key "${'k'.repeat(40)}"\\.\\.\\. \\(allowed: `));
    const value = 's'.repeat(5000);
    expectErrorAt(VALID.replace('security: tls', `security: ${value}`), value, new RegExp(`^connections\\[0\\]\\.security: must be one of "none", "tls", "mtls", not "${'s'.repeat(40)}"\\.\\.\\.$`));
    const name = 'a'.repeat(64);
    expectErrorAt(VALID.replace('  a:\n', `  ${name}:\n`), name, /^components: "a{40}"\.\.\. must be a component name: lower-case letters, digits, '\.', '_' and '-', at most 63$/);
  });
  test('a string where a map belongs is not quoted: it may be a whole file', () => {
    const err = errorOf('root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    expect(err.message).toMatch(/: document: must be a map, not a string$/);
  });
});

describe('schema', () => {
  test('unknown key, at the key', () => {
    const text = VALID.replace('    security: tls', '    security: tls\n    secuirty: tls');
    expectErrorAt(text, 'secuirty', /connections\[0\]: unknown key "secuirty"/);
  });
  test('missing required key, at the map', () => {
    const text = VALID.replace('    security: tls\n', '');
    expectErrorAt(text, 'id: a-to-b', /connections\[0\]: missing required key "security"/);
  });
  test('bad enum value, at the value', () => {
    const text = VALID.replace('security: tls', 'security: ssl');
    expectErrorAt(text, 'ssl', /connections\[0\]\.security: must be one of "none", "tls", "mtls", not "ssl"/);
  });
  test('unquoted minTlsVersion is a number: quote it', () => {
    const text = connection('    minTlsVersion: 1.2\n');
    expectErrorAt(text, '1.2', /minTlsVersion: must be one of .* not 1\.2 \(quote it\)/);
  });
  test('wrong apiVersion', () => {
    const text = VALID.replace('flowaudit.dev/v1', 'flowaudit.dev/v2');
    expectErrorAt(text, 'flowaudit.dev/v2', /apiVersion: must be "flowaudit.dev\/v1"/);
  });
  test('ports must be a list', () => {
    const text = VALID.replace('ports: [443]', 'ports: 443');
    expectErrorAt(text, '443', /ports: must be a list, not 443/);
  });
  test('a selector has exactly one key', () => {
    const text = VALID.replace('      - pod: "a-*"', '      - pod: "a-*"\n        internal: true');
    expectErrorAt(text, 'pod: "a-*"', /a selector has exactly one key/);
  });
  test('unknown selector kind, at the key', () => {
    const text = VALID.replace('      - pod: "a-*"', '      - service: "a"');
    expectErrorAt(text, 'service', /unknown key "service" \(a selector has exactly one key/);
  });
  test('upper-case hostname pattern', () => {
    const text = VALID.replace('cidrs: ["10.0.0.0/8"]', 'hostnames: ["*.Example.com"]');
    expectErrorAt(text, '"*.Example.com"', /hostnames\[0\]: "\*\.Example\.com" must be a lower-case hostname pattern/);
  });
  test('bad component name, at the key', () => {
    const text = VALID.replace('  b:\n', '  B_Bad:\n').replace('to: b', 'to: B_Bad');
    expectErrorAt(text, 'B_Bad', /components: "B_Bad" must be a component name/);
  });
  test('port above 65535', () => {
    const text = VALID.replace('ports: [443]', 'ports: [443, 70000]');
    expectErrorAt(text, '70000', /ports\[1\]: 70000 is out of range/);
  });
  test('port 0', () => {
    const text = VALID.replace('ports: [443]', 'ports: [0]');
    expectErrorAt(text, '0]', /ports\[0\]: 0 is out of range/);
  });
  test('a port string that is not a range', () => {
    const text = VALID.replace('ports: [443]', 'ports: ["https"]');
    expectErrorAt(text, '"https"', /"https" must be a port number or a range/);
  });
});

describe('semantic checks', () => {
  test('connection naming an undefined component, at the name', () => {
    const text = VALID.replace('to: b', 'to: nowhere');
    expectErrorAt(text, 'nowhere', /connection "a-to-b": to names undefined component "nowhere"/);
  });
  test('reversed port range', () => {
    const text = VALID.replace('ports: [443]', 'ports: [443, "9000-8000"]');
    expectErrorAt(text, '"9000-8000"', /port range "9000-8000" is reversed/);
  });
  test('port range above 65535', () => {
    const text = VALID.replace('ports: [443]', 'ports: ["60000-70000"]');
    expectErrorAt(text, '"60000-70000"', /out of range 1-65535/);
  });
  test('overlapping items in one port list', () => {
    const text = VALID.replace('ports: [443]', 'ports: ["400-500", 443]');
    expectErrorAt(text, '443]', /port 443 overlaps another item/);
  });
  test('invalid CIDR address', () => {
    const text = VALID.replace('cidrs: ["10.0.0.0/8"]', 'cidrs: ["10.0.0.0/8", "10.0.300.0/24"]');
    expectErrorAt(text, '"10.0.300.0/24"', /"10\.0\.300\.0\/24" is not a CIDR/);
  });
  test('CIDR prefix out of range', () => {
    const text = VALID.replace('cidrs: ["10.0.0.0/8"]', 'cidrs: ["fd00::/129"]');
    expectErrorAt(text, '"fd00::/129"', /prefix length must be 0-128/);
  });
  test('CIDR with host bits set', () => {
    const text = VALID.replace('cidrs: ["10.0.0.0/8"]', 'cidrs: ["10.1.2.3/8"]');
    expectErrorAt(text, '"10.1.2.3/8"', /host bits set: the network is 10\.0\.0\.0\/8/);
  });
  test('duplicate connection id, at the second id', () => {
    const text = connection('  - id: a-to-b\n    from: b\n    to: a\n    protocol: tcp\n    ports: [80]\n    security: none\n');
    expectErrorAt(text, 'a-to-b', /duplicate connection id "a-to-b" \(first at case-\d+\.yaml:14\)/, 2);
  });
  test('overlapping rules that disagree on security', () => {
    const text = connection('  - id: a-to-b-range\n    from: a\n    to: b\n    protocol: tcp\n    ports: ["400-500"]\n    security: mtls\n');
    expectErrorAt(text, 'a-to-b-range', /"a-to-b-range" conflicts with "a-to-b" \(case-\d+\.yaml:14\): both match a -> b tcp\/443 but security differs \(tls vs mtls\)/);
  });
  test('overlapping rules that disagree on minTlsVersion', () => {
    const text = connection('  - id: a-to-b-2\n    from: a\n    to: b\n    protocol: tcp\n    ports: [443]\n    security: tls\n    minTlsVersion: "1.3"\n');
    expectErrorAt(text, 'a-to-b-2', /minTlsVersion differs \(unset vs 1\.3\)/);
  });
  test('overlapping rules that disagree on initiator, through the reverse of a "both" rule', () => {
    const text = connection('  - id: b-a-both\n    from: b\n    to: a\n    protocol: tcp\n    ports: [443]\n    security: tls\n    initiator: both\n');
    expectErrorAt(text, 'b-a-both', /both match b -> a tcp\/443 but initiator differs \(from vs both\)/);
  });
  test('rules that agree may overlap; other protocols and ports do not conflict', () => {
    const text = connection(
      '  - id: same\n    from: a\n    to: b\n    protocol: tcp\n    ports: ["1-1000"]\n    security: tls\n' +
        '  - id: udp\n    from: a\n    to: b\n    protocol: udp\n    ports: [443]\n    security: none\n' +
        '  - id: other-port\n    from: a\n    to: b\n    protocol: tcp\n    ports: [8443]\n    security: mtls\n',
    );
    expect(loadMatrix(temp.write('agree.yaml', text)).connections).toHaveLength(4);
  });
  test('minTlsVersion needs tls or mtls', () => {
    const text = VALID.replace('security: tls', 'security: none\n    minTlsVersion: "1.2"');
    expectErrorAt(text, '"1.2"', /minTlsVersion needs security tls or mtls/);
  });
  test('a node selector has no namespace', () => {
    const text = VALID.replace('      - pod: "a-*"', '      - kubernetes: { resource: node, namespace: x }');
    expectErrorAt(text, 'x }', /nodes have no namespace/);
  });
  test('empty matrix', () => {
    const text = VALID.slice(0, VALID.indexOf('connections:')) + 'connections: []\n';
    expectErrorAt(text, '[]', /matrix "t" has no connections/);
  });
  test('empty matrix without a connections key: at the start', () => {
    const text = VALID.slice(0, VALID.indexOf('connections:'));
    expectErrorAt(text, 'apiVersion', /has no connections/);
  });
});

test('a missing root file is one line without a position', () => {
  try {
    loadMatrix(`${temp.path}/absent.yaml`, { cwd: temp.path });
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    expect((e as MatrixError).message).toBe('absent.yaml: no such file');
    expect((e as MatrixError).line).toBe(0);
  }
});

test('an unknown shipped profile name lists the shipped ones', () => {
  expect(() => loadMatrix('no-such-profile')).toThrow(/^no-such-profile: no shipped profile "no-such-profile" \(shipped: .*apigee-hybrid-1\.4/);
});
