/** The agent's endpoint over real sockets: routes, readiness, exporter-toolkit TLS, client certificates, basic auth. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListen } from '../../src/export/listen-address.js';
import { startMetricsServer, type MetricsServer } from '../../src/export/metrics-server.js';
import { loadWebConfig } from '../../src/export/web-config.js';
import { makeTestPki, type TestPki } from '../support/test-pki.js';

interface Reply { status: number; body: string; headers: Record<string, string | string[] | undefined> }

function get(url: string, options: { auth?: string; cert?: string; key?: string; ca?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const opts = {
      method: 'GET',
      headers: options.auth === undefined ? {} : { authorization: `Basic ${Buffer.from(options.auth).toString('base64')}` },
      ...(tls ? { ca: options.ca === undefined ? undefined : readFileSync(options.ca), cert: options.cert && readFileSync(options.cert), key: options.key && readFileSync(options.key) } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function registryWithOneCounter(): Registry {
  const registry = new Registry();
  new Counter({ name: 'flowaudit_test_total', help: 'A test counter.', registers: [registry] }).inc(3);
  return registry;
}

describe('parseListen', () => {
  it('takes :port, host:port and [v6]:port', () => {
    expect(parseListen(':9847')).toEqual({ host: '', port: 9847 });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('[::1]:9847')).toEqual({ host: '::1', port: 9847 });
    expect(() => parseListen('9847')).toThrow(/expected \[host\]:port/);
    expect(() => parseListen(':70000')).toThrow(/expected/);
  });
});

describe('plain HTTP', () => {
  let server: MetricsServer;
  let ready: string | null = 'starting';
  let scrapes = 0;
  beforeAll(async () => {
    server = await startMetricsServer({ listen: '127.0.0.1:0', registry: registryWithOneCounter(), beforeScrape: () => scrapes++, notReady: () => ready });
  });
  afterAll(() => server.close());

  it('serves /metrics in the text format, refreshing first', async () => {
    const r = await get(`http://${server.address}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(r.body).toContain('flowaudit_test_total 3');
    expect(scrapes).toBe(1);
  });

  it('answers /healthz always and /readyz only when ready', async () => {
    expect((await get(`http://${server.address}/healthz`)).status).toBe(200);
    const notReady = await get(`http://${server.address}/readyz`);
    expect([notReady.status, notReady.body]).toEqual([503, 'starting\n']);
    ready = null;
    expect((await get(`http://${server.address}/readyz`)).status).toBe(200);
    expect((await get(`http://${server.address}/nothing`)).status).toBe(404);
  });

  it('refuses a port in use', async () => {
    await expect(startMetricsServer({ listen: server.address, registry: new Registry(), notReady: () => null })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
  });
});

describe('exporter-toolkit web config', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  function config(yaml: string): string {
    const file = join(pki.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, yaml);
    return file;
  }

  it('serves HTTPS with a verified client certificate, and refuses clients without one or with a stranger\'s', async () => {
    const file = config(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS12\n`);
    const server = await startMetricsServer({ listen: '127.0.0.1:0', registry: registryWithOneCounter(), webConfig: loadWebConfig(file), notReady: () => null });
    try {
      const url = `https://${server.address}/metrics`;
      const ok = await get(url, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('flowaudit_test_total 3');
      await expect(get(url, { ca: pki.caCert })).rejects.toThrow();
      await expect(get(url, { ca: pki.caCert, cert: pki.strangerCert, key: pki.strangerKey })).rejects.toThrow();
      // Plain HTTP to the TLS port gets no metrics.
      await expect(get(`http://${server.address}/metrics`)).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('asks for basic auth with bcrypt hashes, and accepts the right password', async () => {
    const hash = bcrypt.hashSync('s3cret', 4);
    const file = config(`basic_auth_users:\n  prometheus: ${hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`);
    const server = await startMetricsServer({ listen: '127.0.0.1:0', registry: registryWithOneCounter(), webConfig: loadWebConfig(file), notReady: () => null });
    try {
      const url = `http://${server.address}/metrics`;
      const none = await get(url);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic realm="flowaudit"');
      expect((await get(url, { auth: 'prometheus:wrong' })).status).toBe(401);
      expect((await get(url, { auth: 'nobody:s3cret' })).status).toBe(401);
      const ok = await get(url, { auth: 'prometheus:s3cret' });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-frame-options']).toBe('deny');
      expect((await get(url, { auth: 'prometheus:s3cret' })).status).toBe(200); // from the cache
    } finally {
      await server.close();
    }
  });

  it('rejects what it cannot honour, naming file, line and column', () => {
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n'))).toThrow(/web-\w+\.yml:4:3: "cipher_suites" is an exporter-toolkit setting flowaudit does not support/);
    expect(() => loadWebConfig(config('basic_auth_users:\n  admin: plaintext\n'))).toThrow(/:2:10: the password of user "admin" must be a bcrypt hash/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n'))).toThrow(/:2:14: cert_file nope.crt: cannot read: ENOENT/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n'))).toThrow(/needs client_ca_file/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n'))).toThrow(/needs both cert_file and key_file/);
    expect(() => loadWebConfig(config('tls_config:\n  x: 1\n'))).toThrow(/:1:1: unknown key "tls_config"/);
  });
});
