/** The agent's endpoint over real sockets: routes, readiness, exporter-toolkit TLS, client certificates, basic auth. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

function get(url: string, options: { auth?: string; cert?: string; key?: string; ca?: string; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const opts = {
      method: 'GET',
      agent: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
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

  it('answers 500 when a request fails inside the endpoint, counts and reports it, and serves on', async () => {
    const registry = registryWithOneCounter();
    const failures: string[] = [];
    // A header Node refuses (loadWebConfig rejects it; built by hand here) throws in the handler itself.
    const broken = await startMetricsServer({
      listen: '127.0.0.1:0',
      registry,
      webConfig: { basicAuthUsers: new Map(), headers: { 'Bad Header': 'x' } },
      notReady: () => null,
      onRequestError: (error, path) => failures.push(`${path}: ${error.message}`),
    });
    try {
      const r = await get(`http://${broken.address}/healthz`);
      expect([r.status, r.body]).toEqual([500, 'Internal Server Error\n']);
      expect(failures).toEqual([expect.stringMatching(/^\/healthz: Header name must be a valid HTTP token \["Bad Header"\]$/)]);
      expect(await registry.getSingleMetricAsString('flowaudit_http_request_errors_total')).toMatch(/ 1$/m);
    } finally {
      await broken.close();
    }
    let fail = true;
    const scraping = await startMetricsServer({
      listen: '127.0.0.1:0',
      registry: new Registry(),
      beforeScrape: () => {
        if (fail) throw new Error('refresh failed');
      },
      notReady: () => null,
      onRequestError: (error, path) => failures.push(`${path}: ${error.message}`),
    });
    try {
      expect((await get(`http://${scraping.address}/metrics`)).status).toBe(500);
      expect(failures.at(-1)).toBe('/metrics: refresh failed');
      fail = false;
      const after = await get(`http://${scraping.address}/metrics`);
      expect(after.status).toBe(200);
      expect(after.body).toContain('flowaudit_http_request_errors_total 1');
    } finally {
      await scraping.close();
    }
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

  it('keeps a right scrape fast while hundreds of wrong passwords arrive, answering them 401 or 429', async () => {
    const hash = bcrypt.hashSync('s3cret', 10); // htpasswd's cost: about 70 ms a check
    const server = await startMetricsServer({ listen: '127.0.0.1:0', registry: registryWithOneCounter(), webConfig: { basicAuthUsers: new Map([['prometheus', hash]]), headers: {} }, notReady: () => null });
    try {
      const url = `http://${server.address}/metrics`;
      expect((await get(url, { auth: 'prometheus:s3cret' })).status).toBe(200);
      // 400 wrong attempts from 100 loopback addresses, sent by another process on 20 connections
      // at a time, each sending its next as soon as it is answered.
      const attacker = spawn(process.execPath, ['--input-type=module', '-e', `
        import { request } from 'node:http';
        const statuses = {};
        const attempt = (i) => new Promise((done) => {
          const headers = { authorization: 'Basic ' + Buffer.from('prometheus:wrong' + i).toString('base64') };
          const q = request('${url}', { agent: false, localAddress: '127.0.0.' + (10 + (i % 100)), headers }, (res) => {
            res.resume();
            res.on('end', () => { statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1; done(); });
          });
          q.on('error', (e) => { statuses[e.code] = (statuses[e.code] ?? 0) + 1; done(); });
          q.end();
        });
        await Promise.all(Array.from({ length: 20 }, async (_, w) => { for (let j = 0; j < 20; j++) await attempt(w * 20 + j); }));
        process.stdout.write(JSON.stringify(statuses));
      `], { stdio: ['ignore', 'pipe', 'inherit'] });
      let statuses = '';
      attacker.stdout.setEncoding('utf8').on('data', (c: string) => (statuses += c));
      const attackStart = performance.now();
      const scrapes: number[] = [];
      while (attacker.exitCode === null && performance.now() - attackStart < 60_000) {
        const start = performance.now();
        expect((await get(url, { auth: 'prometheus:s3cret' })).status).toBe(200);
        scrapes.push(performance.now() - start);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (attacker.exitCode === null) await once(attacker, 'exit');
      const attackMs = performance.now() - attackStart;
      const answered = JSON.parse(statuses) as Record<string, number>;
      expect(Object.keys(answered).sort()).toEqual(['401', '429']);
      expect(answered['401'] + answered['429']).toBe(400);
      expect(scrapes.length).toBeGreaterThan(0);
      expect(Math.max(...scrapes)).toBeLessThan(1000);
      // Checked one by one on the loop, 400 wrong passwords would take about 28 s; now most are refused unchecked.
      expect(attackMs).toBeLessThan(10_000);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('rejects what it cannot honour, naming file, line and column', () => {
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n'))).toThrow(/web-\w+\.yml:4:3: "cipher_suites" is an exporter-toolkit setting flowaudit does not support/);
    expect(() => loadWebConfig(config('basic_auth_users:\n  admin: plaintext\n'))).toThrow(/:2:10: the password of user "admin" must be a bcrypt hash/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n'))).toThrow(/:2:14: cert_file nope.crt: cannot read: ENOENT/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n'))).toThrow(/needs client_ca_file/);
    expect(() => loadWebConfig(config('tls_server_config:\n  cert_file: server.crt\n'))).toThrow(/needs both cert_file and key_file/);
    expect(() => loadWebConfig(config('tls_config:\n  x: 1\n'))).toThrow(/:1:1: unknown key "tls_config"/);
  });

  it('refuses headers Node would refuse at the first request, and headers the endpoint sets itself', () => {
    const headers = (lines: string) => () => loadWebConfig(config(`http_server_config:\n  headers:\n${lines}`));
    expect(headers('    "X Frame": deny\n')).toThrow(/web-\w+\.yml:3:5: header name "X Frame" is not a valid HTTP token/);
    expect(headers('    X-Frame-Options: deny\n    "X-Bad\\u00e9(": 1\n')).toThrow(/:4:5: header name "X-Bad\u00e9\(" is not a valid HTTP token/);
    expect(headers('    X-Note: "a\\nb"\n')).toThrow(/:3:13: the value of header X-Note holds a character HTTP does not allow/);
    expect(headers('    content-length: "0"\n')).toThrow(/:3:5: header content-length is set by flowaudit itself; remove it/);
    expect(loadWebConfig(config('http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=31536000\n')).headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000' });
  });

  it('refuses a key pair that does not match, is swapped or is not PEM, naming the key', () => {
    const tls = (cert: string, key: string, more = '') => () => loadWebConfig(config(`tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n${more}`));
    expect(tls('server.crt', 'client.key')).toThrow(/:3:13: key_file client.key is not the key of the certificate in cert_file server.crt$/);
    expect(tls('server.key', 'server.crt')).toThrow(/:2:14: cert_file server.key holds a private key and key_file server.crt a certificate: are they swapped\?$/);
    expect(tls('server.crt', 'ca.crt')).toThrow(/:3:13: key_file ca.crt holds a certificate, not a private key$/);
    writeFileSync(join(pki.dir, 'der.crt'), readFileSync(pki.serverCert, 'latin1').replace(/-----[A-Z ]+-----|\n/g, ''), 'latin1');
    expect(tls('der.crt', 'server.key')).toThrow(/:2:14: cert_file der.crt holds no PEM certificate \(-----BEGIN CERTIFICATE-----\)$/);
    writeFileSync(join(pki.dir, 'broken.crt'), '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n');
    expect(tls('broken.crt', 'server.key')).toThrow(/:2:14: cert_file broken.crt: certificate 1 does not parse \(bad base64 decode\)$/);
    expect(tls('server.crt', 'server.key', '  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n')).toThrow(/:5:19: client_ca_file server.key holds no PEM certificate/);
    expect(tls('.', 'server.key')).toThrow(/:2:14: cert_file \.: not a regular file$/);
  });

  it('refuses TLS versions no handshake could agree on', () => {
    const tls = (versions: string) => () => loadWebConfig(config(`tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${versions}`));
    expect(tls('  min_version: TLS13\n  max_version: TLS12\n')).toThrow(/:5:16: max_version TLS12 is below min_version TLS13: every handshake would fail$/);
    expect(tls('  max_version: TLS11\n')).toThrow(/:4:16: max_version TLS11: Node.js \(OpenSSL 3\) negotiates TLS12 and TLS13 only/);
    expect(tls('  min_version: SSL30\n')).toThrow(/:4:16: min_version must be one of TLS10, TLS11, TLS12, TLS13$/);
    expect(tls('  max_version: TLS13\n')().tls).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });
});
