/**
 * The upgrade recogniser on bytes built per each protocol's specification (the cases openssl and
 * curl do not make: SOCKS4, POP3 after CAPA, refusals), property tests on real exchanges cut at
 * random and on random bytes, and what the flow table keeps of a flow that opens like an upgrade.
 */
import fc from 'fast-check';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { observeSecurity } from '../../src/audit/observe-security.js';
import { recogniseTlsUpgrade, type TlsUpgrade } from '../../src/decode/tls-upgrade.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { flow } from '../audit/audit-fixtures.js';
import { exchangesPcap } from '../support/loopback-exchange.js';
import { UPGRADE_CASES, type UpgradeCaseName } from '../support/tls-upgrades.js';
import { newTempDir } from '../support/temp-dir.js';
import { RecordingSink } from '../support/recording-sink.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tls/tls-upgrades.pcap', import.meta.url));
const text = (s: string): Buffer => Buffer.from(s, 'latin1');
const HELLO = Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]);

describe('recognising an upgrade exchange', () => {
  it('SOCKS4 and 4a: granted (0x5a) is an upgrade, any other reply plaintext', () => {
    const request = Buffer.concat([Buffer.from([4, 1, 0x01, 0xbb, 10, 0, 0, 1]), text('user\0')]);
    const socks4a = Buffer.concat([Buffer.from([4, 1, 0x01, 0xbb, 0, 0, 0, 1]), text('\0db.flowaudit.test\0')]);
    const granted = Buffer.from([0, 0x5a, 0, 0, 0, 0, 0, 0]);
    expect(recogniseTlsUpgrade(Buffer.concat([request, HELLO]), granted)).toEqual({ kind: 'upgraded', name: 'socks4', protocol: 'socks4', clientAt: request.length, serverAt: 8 });
    expect(recogniseTlsUpgrade(socks4a, granted)).toMatchObject({ kind: 'upgraded', clientAt: socks4a.length });
    expect(recogniseTlsUpgrade(request, Buffer.from([0, 0x5b, 0, 0, 0, 0, 0, 0]))).toEqual({ kind: 'refused', protocol: 'socks4', reason: 'the proxy refused the request (reply 91)' });
  });

  it('SOCKS5 with username and password; a refused login or request stays plaintext', () => {
    const greeting = Buffer.from([5, 1, 2]);
    const login = Buffer.concat([Buffer.from([1, 2]), text('me'), Buffer.from([3]), text('pwd')]);
    const request = Buffer.from([5, 1, 0, 3, 2, 0x68, 0x69, 1, 0xbb]);
    const client = Buffer.concat([greeting, login, request]);
    const reply = Buffer.from([5, 0, 0, 1, 10, 0, 0, 1, 1, 0xbb]);
    expect(recogniseTlsUpgrade(client, Buffer.concat([Buffer.from([5, 2, 1, 0]), reply]))).toMatchObject({ kind: 'upgraded', name: 'socks5', clientAt: client.length, serverAt: 4 + reply.length });
    expect(recogniseTlsUpgrade(client, Buffer.from([5, 2, 1, 1]))).toMatchObject({ kind: 'refused', reason: 'the proxy refused the username and password' });
    expect(recogniseTlsUpgrade(client, Buffer.from([5, 0xff]))).toMatchObject({ kind: 'refused', reason: 'the proxy accepted no authentication method' });
  });

  it('POP3: STLS answered after a multi-line CAPA', () => {
    const client = text('CAPA\r\nSTLS\r\n');
    const server = text('+OK ready\r\n+OK capabilities\r\nSTLS\r\nUSER\r\n.\r\n+OK begin\r\n');
    expect(recogniseTlsUpgrade(client, server)).toMatchObject({ kind: 'upgraded', name: 'starttls-pop3', clientAt: client.length, serverAt: server.length });
    expect(recogniseTlsUpgrade(client, text('+OK ready\r\n+OK capabilities\r\nUSER\r\n.\r\n-ERR no\r\n'))).toMatchObject({ kind: 'refused' });
  });

  it('SMTP: a client that never asks, and a server that never offers', () => {
    const client = text('EHLO me\r\nMAIL FROM:<a@b>\r\n');
    expect(recogniseTlsUpgrade(client, text('220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n'))).toEqual({ kind: 'not-asked', protocol: 'smtp', reason: 'the client did not ask for STARTTLS' });
    expect(recogniseTlsUpgrade(client, text('220 mx ESMTP\r\n250-mx\r\n250 8BITMIME\r\n'))).toEqual({ kind: 'not-asked', protocol: 'smtp', reason: 'the server did not offer STARTTLS' });
  });

  it('FTP AUTH TLS refused with 534; XMPP <failure/>; MySQL without CLIENT_SSL; PostgreSQL unanswered', () => {
    expect(recogniseTlsUpgrade(text('AUTH TLS\r\n'), text('220 ftp\r\n534 no\r\n'))).toEqual({ kind: 'refused', protocol: 'ftp', reason: 'the server answered AUTH TLS with 534' });
    const stream = text("<?xml version='1.0'?><stream:stream to='x' version='1.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    expect(recogniseTlsUpgrade(stream, text("<stream:stream><stream:features><starttls/></stream:features><failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))).toMatchObject({ kind: 'refused', reason: 'the server answered STARTTLS with <failure/>' });
    const greeting = Buffer.concat([Buffer.from([30, 0, 0, 0, 10]), text('8.0\0'), Buffer.alloc(13), Buffer.from([0xff, 0xf7]), Buffer.alloc(10)]);
    expect(recogniseTlsUpgrade(Buffer.concat([Buffer.from([60, 0, 0, 1]), Buffer.alloc(60)]), greeting)).toEqual({ kind: 'not-asked', protocol: 'mysql', reason: 'the server does not offer SSL' });
    expect(recogniseTlsUpgrade(Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]), Buffer.alloc(0))).toEqual({ kind: 'unfinished', protocol: 'postgres', reason: 'the capture ends before the server answered the SSLRequest' });
  });

  it('HTTP: a plain request, and TLS from the first byte, are not upgrades', () => {
    expect(recogniseTlsUpgrade(text('GET / HTTP/1.1\r\n\r\n'), text('HTTP/1.1 200 OK\r\n\r\n'))).toBeUndefined();
    expect(recogniseTlsUpgrade(HELLO, HELLO)).toBeUndefined();
  });
});

describe('the grade of an upgrade the capture does not show to its end', () => {
  const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]);
  it('an SSLRequest never answered is unknown, with the reason', () => {
    expect(observeSecurity(flow({ client: '10.0.0.1:40000', server: '10.0.0.2:5432', toServer: SSL_REQUEST }))).toEqual({
      grade: 'unknown',
      detail: 'postgres: the capture ends before the server answered the SSLRequest',
    });
  });
  it('an accepted SSLRequest with no handshake after it is unknown, not TLS', () => {
    expect(observeSecurity(flow({ client: '10.0.0.1:40000', server: '10.0.0.2:5432', toServer: SSL_REQUEST, toClient: text('S') }))).toEqual({
      grade: 'unknown',
      detail: 'postgres-sslrequest accepted, no TLS handshake captured after it',
    });
  });
});

describe('while the flow runs (the agent judges live snapshots)', () => {
  const live = (spec: Parameters<typeof flow>[0]) => ({ ...flow(spec), endReason: 'update' as const });
  it('an SMTP banner, or an exchange without STARTTLS so far, is pending, not plaintext; at the end it is plaintext', () => {
    const pending = { grade: 'unknown', detail: 'a plaintext start that may upgrade to TLS, not over yet' };
    expect(observeSecurity(live({ client: '10.0.0.1:40000', server: '10.0.0.2:25', toClient: text('220 mx ESMTP\r\n') }))).toEqual(pending);
    const sofar = { client: '10.0.0.1:40000', server: '10.0.0.2:25', toServer: text('EHLO me\r\n'), toClient: text('220 mx ESMTP\r\n250-mx\r\n250 STARTTLS\r\n') };
    expect(observeSecurity(live(sofar))).toEqual(pending);
    expect(observeSecurity(flow(sofar))).toEqual({ grade: 'plaintext', detail: 'plaintext (smtp: the client did not ask for STARTTLS)' });
  });
  it('a refusal is final at once', () => {
    const refusedNow = live({ client: '10.0.0.1:40000', server: '10.0.0.2:5432', toServer: Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]), toClient: text('N') });
    expect(observeSecurity(refusedNow)).toEqual({ grade: 'plaintext', detail: 'plaintext (postgres: the server refused the SSLRequest (N))' });
  });
});

describe('properties', () => {
  /** Each real exchange's first bytes, as the audit keeps them. */
  const exchanges = new Map<UpgradeCaseName, { client: Buffer; server: Buffer; upgrade: TlsUpgrade | undefined }>();
  beforeAll(async () => {
    const recording = new RecordingSink();
    await readFlows([FIXTURE], recording, { table: { payloadLimit: 4096, plainPayloadLimit: 16 } });
    const byPort = new Map(recording.flows.map((f) => [f.client.port, { client: f.toServer.payload, server: f.toClient.payload }]));
    for (const name of Object.keys(UPGRADE_CASES) as UpgradeCaseName[]) {
      const e = byPort.get(UPGRADE_CASES[name].clientPort)!;
      exchanges.set(name, { ...e, upgrade: recogniseTlsUpgrade(e.client, e.server) });
    }
  });

  it('a real exchange cut before the server accepted never claims an upgrade; cut anywhere, never throws', () => {
    const names = fc.constantFrom(...(Object.keys(UPGRADE_CASES) as UpgradeCaseName[]));
    fc.assert(
      fc.property(names, fc.nat(), fc.nat(), (name, a, b) => {
        const { client, server, upgrade } = exchanges.get(name)!;
        const clientCut = client.subarray(0, a % (client.length + 1));
        const serverCut = server.subarray(0, b % (server.length + 1));
        const seen = recogniseTlsUpgrade(clientCut, serverCut);
        if (upgrade?.kind !== 'upgraded') expect(seen?.kind).not.toBe('upgraded');
        else if (serverCut.length < upgrade.serverAt || clientCut.length < upgrade.clientAt) expect(seen?.kind).not.toBe('upgraded');
        else expect(seen).toEqual(upgrade);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes, alone or after a real preamble, never throw, and an upgrade lies within the bytes', () => {
    const prefix = fc.constantFrom(Buffer.alloc(0), text('220 x\r\n'), text('* OK\r\n'), text('+OK\r\n'), text('CONNECT a:1 HTTP/1.1\r\n'), Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]), Buffer.from([5, 1, 0]), Buffer.from([4, 1]), Buffer.from([0x30, 0x1d, 2, 1, 1, 0x77]), Buffer.from([80, 0, 0, 0, 10]), text('<?xml'), text('EHLO '));
    const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(prefix, bytes, prefix, bytes, (p1, b1, p2, b2) => {
        const client = Buffer.concat([p1, b1]);
        const server = Buffer.concat([p2, b2]);
        const seen = recogniseTlsUpgrade(client, server);
        if (seen?.kind === 'upgraded') {
          expect(seen.clientAt).toBeLessThanOrEqual(client.length);
          expect(seen.serverAt).toBeLessThanOrEqual(server.length);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('what the flow table keeps', () => {
  it('all of both directions of a flow that opens like an upgrade, 16 bytes of other plaintext', async () => {
    const smtp = [
      { fromClient: false, bytes: text('220 mx ESMTP\r\n') },
      { fromClient: true, bytes: text('EHLO me\r\n') },
      { fromClient: false, bytes: text('250-mx\r\n250 STARTTLS\r\n') },
      { fromClient: true, bytes: text('STARTTLS\r\n') },
      { fromClient: false, bytes: text('220 go\r\n') },
    ];
    const http = [
      { fromClient: true, bytes: text(`GET / HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(20)}\r\n`) },
      { fromClient: false, bytes: text(`HTTP/1.1 200 OK\r\n${'X-Pad: y\r\n'.repeat(20)}\r\n`) },
    ];
    const dir = newTempDir('upgrade-keep').path;
    try {
      const path = join(dir, 'keep.pcap');
      writeFileSync(path, exchangesPcap([{ clientPort: 40001, serverPort: 25, chunks: smtp }, { clientPort: 40002, serverPort: 80, chunks: http }]));
      const recording = new RecordingSink();
      await readFlows([path], recording, { table: { payloadLimit: 4096, plainPayloadLimit: 16 } });
      const kept = new Map(recording.flows.map((f) => [f.server.port, [f.toServer.payload.length, f.toClient.payload.length]]));
      expect(kept.get(25)).toEqual([9 + 10, 14 + 22 + 8]);
      expect(kept.get(80)).toEqual([16, 16]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
