/**
 * TLS edge cases seen in real captures (test/support/tls-edge-cases.ts makes them: real openssl
 * and curl exchanges, and bytes built per the specification where openssl no longer sends them),
 * read through the capture reader, the flow table and the grading as `analyze` reads them, and
 * held to tshark's dissection of the same capture. Runs on the committed capture and on one made
 * now; FLOWAUDIT_UPDATE_FIXTURES=1 rewrites the committed one.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeSecurity } from '../../src/audit/observe-security.js';
import type { ObservedSecurity } from '../../src/audit/verdict.js';
import { classifyPayload, type PayloadKind } from '../../src/decode/payload-kind.js';
import { parseTlsHandshake, type TlsEvidence, type TlsHandshake } from '../../src/decode/tls-handshake.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { EDGE_CASES, type EdgeCaseName, makeEdgeCaseCapture } from '../support/tls-edge-cases.js';
import { committedAndMadeNow, type MakeCapture } from '../support/fixture-suites.js';
import { missingTool, reportBlocked, tsharkFields } from '../support/tls-dns-tools.js';
import { tsharkTlsFlows } from '../support/tls-tshark.js';
import { RecordingSink } from '../support/recording-sink.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tls/tls-edge-cases.pcap', import.meta.url));
const TLS_PORTS = [EDGE_CASES.sslv2Hello.serverPort, EDGE_CASES.unrecognizedName.serverPort, EDGE_CASES.tls13Draft18.serverPort];

interface Seen {
  readonly grade: ObservedSecurity;
  readonly tls: TlsEvidence;
  readonly clientKind: PayloadKind;
}

/** Each case's flow as `analyze` grades it: 4096 bytes kept of TLS streams, 16 of plaintext ones. */
async function readCases(path: string): Promise<Record<EdgeCaseName, Seen>> {
  const recording = new RecordingSink();
  await readFlows([path], recording, { table: { payloadLimit: 4096, plainPayloadLimit: 16 } });
  const byPort = new Map<number, Seen>(
    recording.flows.map((flow) => [flow.server.port, { grade: observeSecurity(flow), tls: parseTlsHandshake(flow.toServer, flow.toClient), clientKind: classifyPayload(flow.toServer.payload) }]),
  );
  const out = {} as Record<EdgeCaseName, Seen>;
  for (const name of Object.keys(EDGE_CASES) as EdgeCaseName[]) {
    const seen = byPort.get(EDGE_CASES[name].serverPort);
    if (seen === undefined) throw new Error(`no flow for ${name}`);
    out[name] = seen;
  }
  return out;
}

function tls(evidence: TlsEvidence): TlsHandshake {
  if (evidence.kind !== 'tls') throw new Error(`not TLS: ${evidence.reason}`);
  return evidence;
}

function edgeSuite(label: string, makeCapture: MakeCapture): void {
  describe(label, () => {
    let path = '';
    let cleanup: (() => void) | undefined;
    let seen = {} as Record<EdgeCaseName, Seen>;
    beforeAll(async () => {
      ({ path, cleanup } = await makeCapture());
      seen = await readCases(path);
    }, 60_000);
    afterAll(() => cleanup?.());

    it('an SSL 2.0-format ClientHello is TLS, graded by the ServerHello, with what the hello offers', () => {
      const { grade, tls: evidence, clientKind } = seen.sslv2Hello;
      expect(clientKind).toBe('tls-handshake');
      expect(grade).toMatchObject({ grade: 'mtls-absent', tlsVersion: '1.0', detail: 'TLS 1.0, server asked for no client certificate' });
      expect(tls(evidence)).toMatchObject({
        version: '1.0',
        clientHello: { legacyVersion: 0x0301, sslv2Format: true, cipherSuiteCount: 4, offersTls13Suites: false, complete: true },
        serverHello: { legacyVersion: 0x0301, cipherSuite: 0x002f, complete: true },
      });
    });

    it('reads on past a warning unrecognized_name alert sent before the ServerHello', () => {
      const { grade, tls: evidence } = seen.unrecognizedName;
      expect(grade).toMatchObject({ grade: 'mtls-absent', tlsVersion: '1.2', serverName: 'other.flowaudit.test' });
      const handshake = tls(evidence);
      expect(handshake).toMatchObject({ version: '1.2', mtls: 'absent', certificateRequest: false, serverHello: { legacyVersion: 0x0303, complete: true } });
      expect(handshake.serverAlert).toBeUndefined();
      expect(handshake.incomplete).toBeUndefined();
    });

    it('reads a TLS 1.3 draft-18 ServerHello (its own layout) as TLS 1.3, the draft in its version field', () => {
      const { grade, tls: evidence } = seen.tls13Draft18;
      expect(grade).toMatchObject({ grade: 'mtls-unverifiable', tlsVersion: '1.3', serverName: 'draft.flowaudit.test' });
      expect(tls(evidence)).toMatchObject({
        version: '1.3',
        mtls: 'unverifiable',
        clientHello: { supportedVersions: [0x7f12, 0x0303] },
        serverHello: { legacyVersion: 0x7f12, cipherSuite: 0x1301, complete: true },
      });
      expect(tls(evidence).incomplete).toBeUndefined();
    });

    it("does not name curl's SOCKS5 greeting and request cassandra-cql, and reads the HTTP it tunnels", () => {
      expect(seen.socks5.clientKind).toBe('other');
      expect(seen.socks5.grade).toMatchObject({ grade: 'plaintext', detail: 'plaintext (http after socks5)' });
      expect(seen.socks5.grade.upgraded).toBeUndefined();
    });

    if (missingTool(['tshark']) !== undefined) {
      reportBlocked('tshark cross-check of the TLS edge cases', 'tshark is not installed');
      return;
    }
    it('agrees with tshark: the SSLv2 hello, the alert before the ServerHello, the draft ServerHello', () => {
      const shark = tsharkTlsFlows(path, TLS_PORTS);
      for (const name of ['sslv2Hello', 'unrecognizedName', 'tls13Draft18'] as const) {
        const t = shark.get(EDGE_CASES[name].clientPort);
        const ours = tls(seen[name].tls);
        expect(t, name).toBeDefined();
        expect(ours.serverHello?.legacyVersion, name).toBe(t?.serverHelloVersion);
        expect(ours.serverHello?.cipherSuite, name).toBe(t?.cipherSuite);
        expect(ours.serverHello?.selectedVersion, name).toBe(t?.selectedVersion);
        // tshark's SSLv2 record carries no tls.handshake tree: its hello is read apart below.
        if (name !== 'sslv2Hello') expect(ours.clientHello?.legacyVersion, name).toBe(t?.clientHelloVersion);
      }
      // The SSLv2 hello: its version, and its cipher specs (tshark's cipherspec fields, not ciphersuite).
      const port = (name: EdgeCaseName): string => String(EDGE_CASES[name].serverPort);
      const decodeAs = TLS_PORTS.flatMap((p) => ['-d', `tcp.port==${p},tls`]);
      const sslv2 = tsharkFields(path, ['tls.handshake.version', 'tls.handshake.cipherspec'], [...decodeAs, '-Y', `tcp.dstport==${port('sslv2Hello')} && tls.handshake.type==1`]);
      const hello = tls(seen.sslv2Hello.tls).clientHello;
      expect(sslv2.map(([version, specs]) => [Number(version), specs.split(',').length])).toEqual([[hello?.legacyVersion, hello?.cipherSuiteCount]]);
      // tshark sees the warning alert (level 1, unrecognized_name 112) first, then the ServerHello
      // (in the same segment or a later one, as the server's writes fell).
      const server = tsharkFields(path, ['tls.alert_message.level', 'tls.alert_message.desc', 'tls.handshake.type'], [...decodeAs, '-Y', `tcp.srcport==${port('unrecognizedName')} && tls`]);
      const records = server.flatMap(([level, desc, types]) => [...(level === '' ? [] : [`alert ${level}/${desc}`]), ...(types === '' ? [] : types.split(','))]);
      expect(records.slice(0, 2)).toEqual(['alert 1/112', '2']);
    });
  });
}

committedAndMadeNow({ fixture: FIXTURE, madeNow: 'made now with openssl and curl', tools: ['openssl', 'curl'], make: makeEdgeCaseCapture, suite: edgeSuite });
