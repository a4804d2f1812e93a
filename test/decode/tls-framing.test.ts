/**
 * Record framing and truncation, starting from the real handshakes of the committed capture:
 * hellos split across records, a whole server flight in one record, every cut offset, and the
 * hand-made cases real peers rarely send (SSLv2-format hellos, GREASE, alerts, damage).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTlsHandshake, type TlsEvidence, type TlsHandshake } from '../../src/decode/tls-handshake.js';
import type { DirectionBytes, StreamStop } from '../../src/decode/tls-stream-stop.js';
import { parseCaptureFlows, type ParsedFlow } from '../support/tls-flows.js';
import {
  afterHandshakeRecords,
  alpnExtension,
  clientHelloBody,
  clientVersionsExtension,
  extension,
  framed,
  handshake,
  leadingHandshakeMessages,
  record,
  serverHelloBody,
  serverVersionExtension,
  sniExtension,
} from '../support/tls-records.js';

const CAPTURE = new URL('../fixtures/tls/tls-handshakes.pcap', import.meta.url).pathname;
const MANIFEST = new URL('../fixtures/tls/tls-scenarios.txt', import.meta.url).pathname;

const bytes = (payload: Buffer, payloadStop: StreamStop = 'end'): DirectionBytes => ({ payload, payloadStop });
const cut = (payload: Buffer, n: number): DirectionBytes => bytes(payload.subarray(0, n), n < payload.length ? 'limit' : 'end');

function tls(evidence: TlsEvidence): TlsHandshake {
  if (evidence.kind !== 'tls') throw new Error(`not TLS: ${evidence.reason}`);
  return evidence;
}

const parse = (client: DirectionBytes, server: DirectionBytes): TlsHandshake => tls(parseTlsHandshake(client, server));

let scenario: (name: string) => ParsedFlow<null>;

beforeAll(async () => {
  const ports = new Map(
    readFileSync(MANIFEST, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])] as const),
  );
  const flows = await parseCaptureFlows(CAPTURE, () => null, 4096);
  scenario = (name) => {
    const found = flows.find((f) => f.serverPort === ports.get(name));
    if (found === undefined) throw new Error(`no flow for ${name}`);
    return found;
  };
});

describe('record framing', () => {
  it('reads a ClientHello split into two records at every split point as it reads it in one', () => {
    const flow = scenario('curl');
    const whole = parse(flow.toServer, flow.toClient);
    const [hello] = leadingHandshakeMessages(flow.toServer.payload);
    const rest = afterHandshakeRecords(flow.toServer.payload);
    expect(whole.clientHello).toMatchObject({ serverName: 'api.flowaudit.test', complete: true });
    for (let at = 1; at < hello.length; at++) {
      const split = Buffer.concat([framed(hello, [at, hello.length]), rest]);
      expect(parse(bytes(split), flow.toClient).clientHello, `split at ${at}`).toEqual(whole.clientHello);
    }
  });

  it('reads a ClientHello sent one byte per record', () => {
    const flow = scenario('curl');
    const [hello] = leadingHandshakeMessages(flow.toServer.payload);
    const oneByte = framed(hello, [1]);
    expect(oneByte.length).toBe(hello.length * 6);
    expect(parse(bytes(oneByte), flow.toClient).clientHello).toEqual(parse(flow.toServer, flow.toClient).clientHello);
  });

  it('reads ServerHello, Certificate, ServerKeyExchange, CertificateRequest and ServerHelloDone from one record', () => {
    const flow = scenario('tls12-mtls');
    const messages = leadingHandshakeMessages(flow.toClient.payload);
    // The server's later NewSessionTicket precedes its ChangeCipherSpec, so it comes along.
    expect(messages.map((m) => m[0])).toEqual([2, 11, 12, 13, 14, 4]);
    const oneRecord = Buffer.concat([record(22, Buffer.concat(messages)), afterHandshakeRecords(flow.toClient.payload)]);
    expect(parse(flow.toServer, bytes(oneRecord))).toEqual(parse(flow.toServer, flow.toClient));
    expect(parse(flow.toServer, bytes(oneRecord))).toMatchObject({ mtls: 'proven', certificateRequest: true, clientCertificate: 'non-empty' });
  });

  it('reads the same server flight in records of every size from 1 to 80 bytes', () => {
    const flow = scenario('tls12-mtls');
    const stream = Buffer.concat(leadingHandshakeMessages(flow.toClient.payload));
    const expected = parse(flow.toServer, flow.toClient);
    for (let size = 1; size <= 80; size++) {
      expect(parse(flow.toServer, bytes(framed(stream, [size]))), `${size}-byte records`).toEqual(expected);
    }
  });

  it("reads the client's Certificate, ClientKeyExchange and CertificateVerify from one record", () => {
    const flow = scenario('tls12-mtls');
    const messages = leadingHandshakeMessages(flow.toServer.payload);
    expect(messages.map((m) => m[0])).toEqual([1, 11, 16, 15]);
    const client = Buffer.concat([record(22, messages[0], 0x0301), record(22, Buffer.concat(messages.slice(1))), afterHandshakeRecords(flow.toServer.payload)]);
    expect(parse(bytes(client), flow.toClient)).toMatchObject({ mtls: 'proven', clientCertificate: 'non-empty' });
  });
});

describe('truncation at every offset', () => {
  it('server flight in one record: CertificateRequest proven only once its header is in, and the reason otherwise', () => {
    const flow = scenario('tls12-mtls');
    const messages = leadingHandshakeMessages(flow.toClient.payload);
    const server = record(22, Buffer.concat(messages));
    const helloEnd = 5 + messages[0].length;
    const requestHeaderEnd = 5 + messages[0].length + messages[1].length + messages[2].length + 4;
    for (let n = 0; n <= server.length; n++) {
      const f = parse(flow.toServer, cut(server, n));
      const at = `cut at ${n}`;
      if (n >= requestHeaderEnd) {
        expect(f.mtls, at).toBe('proven');
        expect(f.incomplete, at).toBeUndefined();
      } else {
        expect(f.mtls, at).toBe('unknown');
        expect(f.incomplete, at).toMatch(n === 0 ? /^no ServerHello: the server's bytes end at 0 \(payload limit\)$/ : new RegExp(`truncated at ${n} bytes \\(payload limit\\)$`));
      }
      expect(f.version, at).toBe(n >= helloEnd ? '1.2' : undefined);
      if (n > 5 + 4 + 2) expect(f.serverHello?.legacyVersion, at).toBe(0x0303);
    }
  });

  it('client bytes cut at every offset: the hello, then the certificate, appear as their bytes do', () => {
    const flow = scenario('tls12-mtls');
    const client = flow.toServer.payload;
    const [hello, certificate] = leadingHandshakeMessages(client);
    const helloEnd = 5 + hello.length;
    // OpenSSL sends each message in its own record: the Certificate's list length follows its two headers.
    const listLengthEnd = helloEnd + 5 + 4 + 3;
    expect(certificate[0]).toBe(11);
    let proven = false;
    for (let n = 0; n <= client.length; n++) {
      const f = parse(cut(client, n), flow.toClient);
      const at = `cut at ${n}`;
      expect(f.clientHello?.complete === true, at).toBe(n >= helloEnd);
      expect(f.mtls, at).toBe(n >= listLengthEnd ? 'proven' : 'unknown');
      if (f.mtls === 'unknown') expect(f.incomplete, at).toBeDefined();
      if (proven) expect(f.mtls, `${at}: once proven, stays proven`).toBe('proven');
      proven ||= f.mtls === 'proven';
      if (n > 0 && n < helloEnd) expect(f.incomplete, at).toBe(`ClientHello truncated at ${n} bytes (payload limit)`);
    }
  });

  it('TLS 1.3 ServerHello cut at every offset: the version only once supported_versions is in', () => {
    const flow = scenario('tls13');
    const server = flow.toClient.payload;
    const [hello] = leadingHandshakeMessages(server);
    const versionEnd = server.indexOf(Buffer.from([0x00, 0x2b, 0x00, 0x02, 0x03, 0x04])) + 6;
    expect(versionEnd).toBeGreaterThan(6);
    for (let n = 0; n <= server.length; n++) {
      const f = parse(flow.toServer, cut(server, n));
      const at = `cut at ${n}`;
      if (n >= versionEnd) expect(f, at).toMatchObject({ version: '1.3', mtls: 'unverifiable' });
      else expect([f.version, f.mtls], at).toEqual([undefined, 'unknown']);
      expect(f.serverHello?.complete === true, at).toBe(n >= 5 + hello.length);
      if (n < 5 + hello.length) expect(f.incomplete, at).toBe(n === 0 ? "no ServerHello: the server's bytes end at 0 (payload limit)" : `ServerHello truncated at ${n} bytes (payload limit)`);
    }
  });
});

describe('reasons given when the bytes run out', () => {
  it('a missing segment before the ServerHello', () => {
    const flow = scenario('tls12');
    expect(parse(flow.toServer, bytes(Buffer.alloc(0), 'gap'))).toMatchObject({ mtls: 'unknown', incomplete: 'missing segment (gap) before the ServerHello' });
  });

  it('a missing segment before the ClientHello, with the server side intact', () => {
    const flow = scenario('tls12');
    const f = parse(bytes(Buffer.alloc(0), 'gap'), flow.toClient);
    expect(f).toMatchObject({ version: '1.2', mtls: 'absent', incomplete: 'missing segment (gap) before the ClientHello' });
    expect(f.clientHello).toBeUndefined();
  });

  it('a gap after the server Certificate, before CertificateRequest or ServerHelloDone', () => {
    const flow = scenario('tls12-mtls');
    const messages = leadingHandshakeMessages(flow.toClient.payload);
    const server = Buffer.concat(messages.slice(0, 2).map((m) => record(22, m)));
    expect(parse(flow.toServer, bytes(server, 'gap'))).toMatchObject({
      mtls: 'unknown',
      incomplete: 'missing segment (gap) before the CertificateRequest or ServerHelloDone',
    });
  });

  it('the client certificate cut by the capture snaplen', () => {
    const flow = scenario('tls12-mtls');
    const [hello] = leadingHandshakeMessages(flow.toServer.payload);
    const client = flow.toServer.payload.subarray(0, 5 + hello.length + 5 + 2);
    expect(parse(bytes(client, 'snaplen'), flow.toClient)).toMatchObject({
      mtls: 'unknown',
      certificateRequest: true,
      incomplete: `client Certificate truncated at ${client.length} bytes (capture snaplen)`,
    });
  });

  it('a server that answers the hello with an alert', () => {
    const flow = scenario('tls12');
    const f = parse(flow.toServer, bytes(record(21, Buffer.of(2, 40))));
    expect(f).toMatchObject({
      mtls: 'unknown',
      serverAlert: { level: 2, description: 40 },
      incomplete: "no ServerHello: the server's plaintext handshake ended with alert handshake_failure (40)",
    });
  });

  it('says neither side is TLS for plaintext HTTP', () => {
    const f = parseTlsHandshake(bytes(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), bytes(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')));
    expect(f).toEqual({
      kind: 'not-tls',
      reason:
        "no TLS handshake in either direction: malformed ClientHello: the client's first bytes are not a TLS handshake record; malformed ServerHello: the server's first bytes are not a TLS record",
    });
  });

  it('says neither side is TLS when nothing was captured', () => {
    expect(parseTlsHandshake(bytes(Buffer.alloc(0)), bytes(Buffer.alloc(0), 'budget'))).toEqual({
      kind: 'not-tls',
      reason: "no TLS handshake in either direction: no ClientHello: the client sent no payload; no ServerHello: the server's bytes end at 0 (payload buffer budget spent)",
    });
  });
});

describe('hand-made handshakes', () => {
  const serverTls12 = bytes(
    Buffer.concat([record(22, Buffer.concat([handshake(2, serverHelloBody({})), handshake(11, Buffer.from([0, 0, 0])), handshake(14, Buffer.alloc(0))]))]),
  );

  it('leaves GREASE values out of suites, versions and extensions', () => {
    const body = clientHelloBody({
      suites: [0x0a0a, 0x1301, 0x1302, 0xc02f],
      extensions: [extension(0x1a1a, Buffer.alloc(0)), sniExtension('grease.example'), clientVersionsExtension([0x2a2a, 0x0304, 0x0303]), alpnExtension(['h2'])],
    });
    const f = parse(bytes(record(22, handshake(1, body), 0x0301)), serverTls12);
    expect(f.clientHello).toEqual({
      legacyVersion: 0x0303,
      cipherSuiteCount: 3,
      offersTls13Suites: true,
      serverName: 'grease.example',
      supportedVersions: [0x0304, 0x0303],
      alpn: ['h2'],
      complete: true,
    });
  });

  it('escapes control bytes in names so no report carries them', () => {
    const body = clientHelloBody({ extensions: [sniExtension('a\u0000b\\c\u00ff'), alpnExtension(['h\n2'])] });
    const f = parse(bytes(record(22, handshake(1, body))), serverTls12);
    expect(f.clientHello?.serverName).toBe('a\\x00b\\x5cc\\xff');
    expect(f.clientHello?.alpn).toEqual(['h\\x0a2']);
  });

  it('reads a hello without extensions (TLS 1.0 clients may send one)', () => {
    const f = parse(bytes(record(22, handshake(1, clientHelloBody({ version: 0x0301, extensions: null })), 0x0301)), serverTls12);
    expect(f.clientHello).toEqual({ legacyVersion: 0x0301, cipherSuiteCount: 2, offersTls13Suites: true, complete: true });
  });

  it('reads an SSL 2.0-format ClientHello, and the version from the ServerHello', () => {
    // RFC 5246 E.2: msg_type 1, version 3.1, three cipher specs, no session id, a 16-byte challenge.
    const specs = Buffer.from([0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x01, 0x00, 0x80]);
    const body = Buffer.concat([Buffer.from([1, 3, 1, 0, specs.length, 0, 0, 0, 16]), specs, Buffer.alloc(16, 7)]);
    const hello = Buffer.concat([Buffer.from([0x80 | (body.length >> 8), body.length & 0xff]), body]);
    const server = bytes(record(22, Buffer.concat([handshake(2, serverHelloBody({ version: 0x0301, extensions: null })), handshake(14, Buffer.alloc(0))]), 0x0301));
    const f = parse(bytes(hello), server);
    expect(f).toMatchObject({
      version: '1.0',
      mtls: 'absent',
      clientHello: { legacyVersion: 0x0301, sslv2Format: true, cipherSuiteCount: 3, offersTls13Suites: false, complete: true },
    });
    expect(f.clientHello?.serverName).toBeUndefined();
    // The same hello cut short is reported as cut, not as some other protocol.
    expect(parse(bytes(hello.subarray(0, 20), 'limit'), server).incomplete).toBe('ClientHello truncated at 20 bytes (payload limit)');
  });

  it('takes a resumed session through a NewSessionTicket to its ChangeCipherSpec', () => {
    const server = Buffer.concat([record(22, handshake(2, serverHelloBody({}))), record(22, handshake(4, Buffer.alloc(10))), record(20, Buffer.of(1))]);
    expect(parse(bytes(record(22, handshake(1, clientHelloBody({})))), bytes(server))).toMatchObject({ version: '1.2', mtls: 'unverifiable', resumed: true });
  });

  it('takes a ServerHello with supported_versions 1.3 as TLS 1.3 whatever its legacy_version', () => {
    const server = record(22, handshake(2, serverHelloBody({ suite: 0x1301, extensions: [serverVersionExtension(0x0304)] })));
    expect(parse(bytes(record(22, handshake(1, clientHelloBody({})))), bytes(server))).toMatchObject({ version: '1.3', mtls: 'unverifiable', serverHello: { cipherSuite: 0x1301 } });
  });

  it('names the damage: a cipher_suites length past the message, a bad record header, a wrong first message', () => {
    const good = handshake(1, clientHelloBody({}));
    const badSuites = Buffer.from(good);
    badSuites.writeUInt16BE(0x4000, 4 + 2 + 32 + 1);
    expect(parse(bytes(record(22, badSuites)), serverTls12).incomplete).toBe('malformed ClientHello: cipher_suites runs past the end of the message');
    expect(parse(bytes(Buffer.from([22, 3, 1, 0, 0])), serverTls12).incomplete).toBe('malformed ClientHello: record at byte 0 has length 0');
    expect(parse(bytes(record(22, handshake(2, serverHelloBody({})))), serverTls12).incomplete).toBe(
      'malformed ClientHello: the first handshake message is ServerHello',
    );
  });

  it('reports an SSL 3.0 ServerHello with no version name and mTLS unknown only if its flight is cut', () => {
    const server = bytes(record(22, Buffer.concat([handshake(2, serverHelloBody({ version: 0x0300, extensions: null })), handshake(14, Buffer.alloc(0))]), 0x0300));
    const f = parse(bytes(record(22, handshake(1, clientHelloBody({ version: 0x0300, extensions: null })), 0x0300)), server);
    expect(f).toMatchObject({ mtls: 'absent', certificateRequest: false, serverHello: { legacyVersion: 0x0300 } });
    expect(f.version).toBeUndefined();
  });
});
