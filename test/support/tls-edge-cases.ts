/**
 * TLS edge cases seen in real captures, made for the tests: real exchanges with openssl and curl
 * where they can still make them, bytes built per the specification where they cannot (openssl 3
 * sends no SSL 2.0-format hello and speaks no TLS 1.3 draft). Each case is one TCP connection on
 * its own server port of test/fixtures/tls/tls-edge-cases.pcap (regenerated with
 * FLOWAUDIT_UPDATE_FIXTURES=1, see test/decode/tls-edge-cases.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { type Chunk, exchangesPcap, recordExchange, startOpensslServer } from './loopback-exchange.js';
import { clientHelloBody, clientVersionsExtension, extension, handshake, record, sniExtension } from './tls-records.js';
import { newTempDir } from './temp-dir.js';

export const EDGE_CASES = {
  /** An SSL 2.0-format ClientHello offering TLS 1.0 (RFC 5246 E.2), answered by openssl s_server. */
  sslv2Hello: { clientPort: 40001, serverPort: 4431 },
  /** openssl s_client names a host the s_server does not serve: a warning unrecognized_name, then the ServerHello. */
  unrecognizedName: { clientPort: 40002, serverPort: 4432 },
  /** A TLS 1.3 draft-18 handshake: ServerHello in the draft layout (no session id, no compression). */
  tls13Draft18: { clientPort: 40003, serverPort: 4433 },
  /** curl through a SOCKS5 proxy: greeting, request, then plain HTTP. */
  socks5: { clientPort: 40004, serverPort: 1080 },
} as const;

export type EdgeCaseName = keyof typeof EDGE_CASES;

/** Records or builds every case and returns the capture of all of them. Needs openssl and curl. */
export async function makeEdgeCaseCapture(): Promise<Buffer> {
  const dir = newTempDir('tls-edge').path;
  try {
    // RSA: the SSL 2.0-format hello carries no elliptic-curve extensions, so only RSA key exchange fits it.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=edge.flowaudit.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    const identity = ['-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem')];
    const chunks: Record<EdgeCaseName, Chunk[]> = {
      sslv2Hello: await opensslExchange([...identity, '-tls1', '-cipher', 'DEFAULT@SECLEVEL=0'], { bytes: sslv2ClientHello() }),
      unrecognizedName: await opensslExchange(
        [...identity, '-tls1_2', '-servername', 'served.flowaudit.test', '-cert2', join(dir, 'cert.pem'), '-key2', join(dir, 'key.pem')],
        { command: 'openssl', args: (port) => ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-servername', 'other.flowaudit.test'] },
      ),
      tls13Draft18: draft18Handshake(),
      socks5: await socks5Exchange(),
    };
    return exchangesPcap((Object.keys(EDGE_CASES) as EdgeCaseName[]).map((name) => ({ ...EDGE_CASES[name], chunks: chunks[name] })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function opensslExchange(serverArgs: string[], client: Parameters<typeof recordExchange>[1]): Promise<Chunk[]> {
  const server = await startOpensslServer(serverArgs);
  try {
    return await recordExchange(server.port, client);
  } finally {
    server.process.kill();
  }
}

/**
 * RFC 5246 appendix E.2: a 2-byte header with the high bit set, msg_type 1, version 3.1, three
 * TLS suites as 3-byte specs (AES128-SHA, AES256-SHA, ECDHE-ECDSA-AES128-SHA) and one SSL 2.0 kind
 * (DES-CBC3-MD5), no session id, a 16-byte challenge.
 */
export function sslv2ClientHello(): Buffer {
  const specs = Buffer.from([0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x00, 0xc0, 0x09, 0x07, 0x00, 0xc0]);
  const body = Buffer.concat([Buffer.from([1, 3, 1, 0, specs.length, 0, 0, 0, 16]), specs, Buffer.from('flowaudit-sslv2!')]);
  return Buffer.concat([Buffer.from([0x80 | (body.length >> 8), body.length & 0xff]), body]);
}

/**
 * draft-ietf-tls-tls13-18 section 4.1.3: ServerHello { version 0x7f12, random, cipher_suite,
 * extensions } (key_share, extension 40), then the encrypted flight as application_data records.
 * The client offers draft 18 and TLS 1.2 in supported_versions.
 */
export function draft18Handshake(): Chunk[] {
  // X25519 KeyShareEntry: group, key length, key. The client sends a list of them, the server one.
  const keyShareEntry = Buffer.concat([Buffer.from([0x00, 0x1d, 0x00, 32]), Buffer.alloc(32, 0x5a)]);
  const clientKeyShare = extension(40, Buffer.concat([Buffer.from([0, keyShareEntry.length]), keyShareEntry]));
  const serverKeyShare = extension(40, keyShareEntry);
  const clientHello = handshake(1, clientHelloBody({ suites: [0x1301, 0x1302, 0xc02f], extensions: [sniExtension('draft.flowaudit.test'), clientVersionsExtension([0x7f12, 0x0303]), clientKeyShare] }));
  const serverHello = handshake(2, Buffer.concat([Buffer.from([0x7f, 0x12]), Buffer.alloc(32, 0x33), Buffer.from([0x13, 0x01, 0, serverKeyShare.length]), serverKeyShare]));
  return [
    { fromClient: true, bytes: record(22, clientHello, 0x0301) },
    { fromClient: false, bytes: Buffer.concat([record(22, serverHello), record(23, Buffer.alloc(120, 0x77))]) },
    { fromClient: true, bytes: record(23, Buffer.alloc(60, 0x66)) },
  ];
}

/** curl asks a SOCKS5 stub (RFC 1928: no authentication, CONNECT granted) for an HTTP page. */
async function socks5Exchange(): Promise<Chunk[]> {
  const stub = net.createServer((c) => {
    let stage = 0;
    c.on('data', () => {
      if (stage === 0) c.write(Buffer.from([5, 0]));
      else if (stage === 1) c.write(Buffer.from([5, 0, 0, 1, 10, 1, 2, 3, 0x1f, 0x90]));
      else c.end('HTTP/1.1 204 No Content\r\n\r\n');
      stage++;
    });
    c.on('error', () => {});
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  try {
    const port = (stub.address() as net.AddressInfo).port;
    return await recordExchange(port, { command: 'curl', args: (proxy) => ['-s', '--max-time', '5', '--socks5', `127.0.0.1:${proxy}`, 'http://10.1.2.3:8080/'] });
  } finally {
    stub.close();
  }
}
