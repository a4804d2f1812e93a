/**
 * `flowaudit rules explain` end to end, the built CLI run as a user runs it: one explanation per
 * verdict, servers named by hostname, SNI or DNS answer, context components apart from matches.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const BENCH_RULES = join(ROOT, 'bench/bench-rules.yaml');
const dir = tempDir('explain').path;

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A matrix with a rule of each kind of security, a hostname component and a context catch-all. */
const SITE_TEXT = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: site, title: Site }
components:
  web: { match: [{ cidrs: ["10.1.0.0/16"] }] }
  api: { match: [{ cidrs: ["10.2.0.0/16"] }] }
  vault: { match: [{ cidrs: ["10.3.0.0/16"] }] }
  dns: { match: [{ cidrs: ["10.96.0.10"] }] }
  google-apis: { match: [{ hostnames: ["*.googleapis.com"] }] }
  anyone:
    description: API clients, from anywhere
    context: true
    match: [{ internal: true }, { external: true }]
connections:
  - { id: web-to-api, from: web, to: api, protocol: tcp, ports: [443], security: tls, minTlsVersion: "1.2" }
  - { id: web-to-vault, from: web, to: vault, protocol: tcp, ports: [8200], security: mtls }
  - { id: web-to-dns, from: web, to: dns, protocol: udp, ports: [53], security: none }
  - { id: web-to-google, from: web, to: google-apis, protocol: tcp, ports: [443], security: tls }
  - { id: anyone-to-web, from: anyone, to: web, protocol: tcp, ports: [8080], security: none }
`;
const SITE = write('site.yaml', SITE_TEXT);

/** The verdict and reason lines of `rules explain site.yaml --flow FLOW ...`. */
function judged(flow: string, ...more: string[]): [string, string] {
  const r = cli('rules', 'explain', SITE, '--flow', flow, ...more);
  expect(r.stderr).toBe('');
  const lines = r.stdout.trimEnd().split('\n');
  return [lines[lines.length - 2], lines[lines.length - 1]];
}

describe('one explanation per verdict', () => {
  it('allowed, over TLS of a version at or above the minimum and with no security required', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'tls1.3')).toEqual([
      'verdict: allowed',
      'reason: Rule web-to-api allows web -> api over TLS 1.2 or later; the capture shows TLS 1.3, client certificate not established',
    ]);
    expect(judged('10.1.0.5:40000 -> 10.96.0.10:53/udp')).toEqual(['verdict: allowed', 'reason: Rule web-to-dns allows web -> dns and requires no security']);
    expect(judged('10.1.0.5:40000 -> 10.3.0.1:8200/tcp', '--security', 'mtls-proven')[1]).toBe(
      'reason: Rule web-to-vault allows web -> vault over mTLS; the capture shows TLS 1.2, client certificate sent',
    );
  });

  it('unverified: no payload, or mTLS behind TLS 1.3', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp')).toEqual([
      'verdict: unverified',
      'reason: Rule web-to-api requires TLS 1.2 or later for web -> api, which the capture cannot prove: no payload captured',
    ]);
    expect(judged('10.1.0.5:40000 -> 10.3.0.1:8200/tcp', '--security', 'mtls-unverifiable')).toEqual([
      'verdict: unverified',
      'reason: Rule web-to-vault requires mTLS for web -> vault, which the capture cannot prove: TLS 1.3, client certificates encrypted',
    ]);
  });

  it('insecure', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'plaintext')).toEqual([
      'verdict: insecure',
      'reason: Rule web-to-api requires TLS 1.2 or later for web -> api, but the capture shows plaintext',
    ]);
  });

  it('weak-tls, for TLS 1.0 and 1.1', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'tls1.0')).toEqual([
      'verdict: weak-tls',
      'reason: Rule web-to-api requires TLS 1.2 or later for web -> api, but the capture shows TLS 1.0, client certificate not established',
    ]);
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'tls1.1')[0]).toBe('verdict: weak-tls');
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'tls1.2')[0]).toBe('verdict: allowed');
  });

  it('SSL 3.0 as analyze judges it: below every minimum version', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'ssl3')).toEqual([
      'verdict: weak-tls',
      'reason: Rule web-to-api requires TLS 1.2 or later for web -> api, but the capture shows SSL 3.0, client certificate not established',
    ]);
  });

  it('mtls-missing', () => {
    expect(judged('10.1.0.5:40000 -> 10.3.0.1:8200/tcp', '--security', 'mtls-absent')).toEqual([
      'verdict: mtls-missing',
      'reason: Rule web-to-vault requires mTLS for web -> vault, but the capture shows TLS 1.2, client sent no certificate',
    ]);
  });

  it('wrong-initiator', () => {
    expect(judged('10.2.0.7:40000 -> 10.1.0.5:443/tcp', '--security', 'tls1.2')).toEqual([
      'verdict: wrong-initiator',
      'reason: Rule web-to-api allows web -> api, but api opened this connection',
    ]);
  });

  it('unexpected', () => {
    expect(judged('10.1.0.5:40000 -> 10.2.0.7:22/tcp')).toEqual(['verdict: unexpected', 'reason: No rule allows tcp/22 from web to api']);
  });

  it('unknown-peer', () => {
    expect(judged('10.1.0.5:40000 -> 192.168.9.9:443/tcp')).toEqual(['verdict: unknown-peer', 'reason: Server 192.168.9.9 matches no component']);
  });

  it('ignored, under unmatched: ignore-outside-components', () => {
    const scoped = write('scoped.yaml', SITE_TEXT.replace('components:', 'unmatched: ignore-outside-components\ncomponents:'));
    const r = cli('rules', 'explain', scoped, '--flow', '192.168.1.1:40000 -> 192.168.9.9:443/tcp');
    expect(r.stdout.trimEnd().split('\n').slice(-2)).toEqual(['verdict: ignored', 'reason: Neither endpoint belongs to a component of this matrix']);
  });

  it('every grade and TLS version is accepted; a wrong one lists them', () => {
    for (const grade of ['plaintext', 'tls', 'mtls-proven', 'mtls-absent', 'mtls-unverifiable', 'unknown', 'ssl3', 'tls1.0', 'tls1.1', 'tls1.2', 'tls1.3']) {
      expect(cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', grade).code).toBe(0);
    }
    const r = cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> 10.2.0.7:443/tcp', '--security', 'mtls');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: option '--security <grade>' argument 'mtls' is invalid. expected one of plaintext, tls, ssl3, tls1.0, tls1.1, tls1.2, tls1.3, mtls-proven, mtls-absent, mtls-unverifiable, unknown\n",
    );
  });
});

describe('a server named by hostname', () => {
  it('given as the --flow server, it is named as by a DNS answer and judged as an external address', () => {
    const r = cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> Apigee.GoogleAPIs.com:443/tcp', '--security', 'tls1.3');
    expect(r.stdout).toBe(
      [
        'flow 10.1.0.5:40000 -> apigee.googleapis.com:443/tcp against site',
        'client 10.1.0.5:40000:',
        '  web: cidr 10.1.0.0/16',
        '  context: anyone (any internal address)',
        'server apigee.googleapis.com:443:',
        '  no address given: judged as an external address',
        '  named apigee.googleapis.com by a DNS answer (--flow)',
        '  google-apis: hostname apigee.googleapis.com (dns) ~ *.googleapis.com',
        '  context: anyone (any external address)',
        'security: TLS 1.3, client certificate not established',
        'verdict: allowed',
        'reason: Rule web-to-google allows web -> google-apis over TLS; the capture shows TLS 1.3, client certificate not established',
        '',
      ].join('\n'),
    );
  });

  it('--sni and --dns-name name an address, and the output says which evidence matched', () => {
    const sni = cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> 142.250.1.1:443/tcp', '--sni', 'apigee.googleapis.com');
    expect(sni.stdout).toContain('\n  named apigee.googleapis.com by the TLS SNI (--sni)\n  google-apis: hostname apigee.googleapis.com (sni) ~ *.googleapis.com\n');
    expect(sni.stdout).toContain('\nverdict: unverified\n');
    const dns = cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> 142.250.1.1:443/tcp', '--dns-name', 'storage.googleapis.com');
    expect(dns.stdout).toContain('\n  named storage.googleapis.com by a DNS answer (--dns-name)\n  google-apis: hostname storage.googleapis.com (dns) ~ *.googleapis.com\n');
  });

  it('without a name, the same address is an unknown peer', () => {
    expect(judged('10.1.0.5:40000 -> 142.250.1.1:443/tcp')).toEqual(['verdict: unknown-peer', 'reason: Server 142.250.1.1 matches no component']);
  });

  it('a server that is neither an address nor a hostname is a usage error', () => {
    const r = cli('rules', 'explain', SITE, '--flow', '10.1.0.5:40000 -> bad_name!:443/tcp');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"bad_name!" is neither an IP address nor a hostname');
  });
});

describe('context components', () => {
  it('an address that only fits catch-alls matches no component; they are shown as context', () => {
    const r = cli('rules', 'explain', SITE, '--flow', '192.168.1.1:40000 -> 10.1.0.5:8080/tcp');
    expect(r.stdout).toBe(
      [
        'flow 192.168.1.1:40000 -> 10.1.0.5:8080/tcp against site',
        'client 192.168.1.1:40000:',
        '  no component',
        '  context: anyone (any internal address)',
        'server 10.1.0.5:8080:',
        '  web: cidr 10.1.0.0/16',
        '  context: anyone (any internal address)',
        'security: no payload captured (no --security given)',
        'verdict: allowed',
        'reason: Rule anyone-to-web allows anyone -> web and requires no security',
        '',
      ].join('\n'),
    );
  });
});

describe('bench matrix', () => {
  it('an IPv6 end is bracketed, an unknown one has no component', () => {
    const r = cli('rules', 'explain', BENCH_RULES, '--flow', '[fd00::1]:40000 -> 10.96.0.10:53/udp');
    expect(r.stdout).toBe(
      [
        'flow [fd00::1]:40000 -> 10.96.0.10:53/udp against bench',
        'client [fd00::1]:40000:',
        '  no component',
        'server 10.96.0.10:53:',
        '  resolver: cidr 10.96.0.10/32',
        'security: no payload captured (no --security given)',
        'verdict: unknown-peer',
        'reason: Client fd00::1 matches no component',
        '',
      ].join('\n'),
    );
  });

  it('uses inventories like analyze does', () => {
    write('inv-explain.yaml', 'entries:\n  - name: laptop\n    addresses: ["192.168.5.5"]\n    components: [clients]\n');
    const r = cli('rules', 'explain', BENCH_RULES, '-I', 'inv-explain.yaml', '--flow', '192.168.5.5:40000 -> 10.96.0.10:53/udp');
    expect(r.stdout).toContain('\nclient 192.168.5.5:40000:\n  clients: inventory laptop (inv-explain.yaml:2)\n');
    expect(r.stdout).toContain('\nverdict: allowed\n');
  });

  it('a malformed --flow is a usage error, exit 2', () => {
    const r = cli('rules', 'explain', BENCH_RULES, '--flow', 'bogus');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('expected CLIENT:PORT -> SERVER:PORT/tcp|udp');
  });
});
