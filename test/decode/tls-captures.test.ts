/**
 * Real TLS handshakes (openssl s_server/s_client, curl) read through the capture reader and the flow
 * table, parsed inside onFlow, and compared with what each scenario must show and with tshark's
 * dissection of the same capture. Runs on the committed capture and, with root and tcpdump, on one
 * recorded now by the same script.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { parseTlsHandshake, type TlsEvidence, type TlsHandshake } from '../../src/decode/tls-handshake.js';
import { parseCaptureFlows, type ParsedFlow } from '../support/tls-flows.js';
import { liveCaptureBlocker, missingTool, randomPortBase, reportBlocked, runScript } from '../support/tls-dns-tools.js';
import { tsharkTlsFlows } from '../support/tls-tshark.js';
import { newTempDir } from '../support/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const SCRIPT = join(FIXTURES, 'make-tls-captures.sh');
const CAPTURE = 'tls-handshakes.pcap';

interface Scenario {
  readonly name: string;
  readonly port: number;
  /** "ok", or "skipped: why" when the script could not make it here (TLS 1.0 on a strict OpenSSL). */
  readonly status: string;
}

function readScenarios(dir: string): Map<string, Scenario> {
  const lines = readFileSync(join(dir, 'tls-scenarios.txt'), 'utf8').split('\n').filter((l) => l !== '');
  return new Map(
    lines.map((line) => {
      const [name, port, ...status] = line.split(' ');
      return [name, { name, port: Number(port), status: status.join(' ') }];
    }),
  );
}

const parse = (flow: FlowRecord): TlsEvidence => parseTlsHandshake(flow.toServer, flow.toClient);

function tls(evidence: TlsEvidence): TlsHandshake {
  if (evidence.kind !== 'tls') throw new Error(`not TLS: ${evidence.reason}`);
  return evidence;
}

/** What each scenario's flows (in order) must show with whole hellos (payloadLimit 4096). */
const EXPECTED: Record<string, (flows: TlsHandshake[]) => void> = {
  tls12([f]) {
    expect(f).toMatchObject({
      version: '1.2',
      mtls: 'absent',
      certificateRequest: false,
      clientHello: { legacyVersion: 0x0303, serverName: 'tls12.flowaudit.test', offersTls13Suites: false, complete: true },
      serverHello: { legacyVersion: 0x0303, complete: true },
    });
    // OpenSSL limited to 1.2 sends no supported_versions; the server selects none.
    expect(f.clientHello?.supportedVersions).toBeUndefined();
    expect(f.serverHello?.selectedVersion).toBeUndefined();
  },
  'tls12-mtls'([f]) {
    expect(f).toMatchObject({ version: '1.2', mtls: 'proven', certificateRequest: true, clientCertificate: 'non-empty' });
    expect(f.clientHello?.serverName).toBe('tls12-mtls.flowaudit.test');
  },
  'tls12-mtls-empty'([f]) {
    expect(f).toMatchObject({ version: '1.2', mtls: 'absent', certificateRequest: true, clientCertificate: 'empty' });
  },
  'tls12-resumed'(flows) {
    expect(flows).toHaveLength(2);
    expect(flows[0]).toMatchObject({ version: '1.2', mtls: 'absent', certificateRequest: false });
    expect(flows[0].resumed).toBeUndefined();
    expect(flows[1]).toMatchObject({ version: '1.2', mtls: 'unverifiable', resumed: true });
    expect(flows[1].certificateRequest).toBeUndefined();
  },
  tls13([f]) {
    expect(f).toMatchObject({
      version: '1.3',
      mtls: 'unverifiable',
      clientHello: { supportedVersions: [0x0304], offersTls13Suites: true, serverName: 'tls13.flowaudit.test' },
      serverHello: { legacyVersion: 0x0303, selectedVersion: 0x0304 },
    });
    expect(f.certificateRequest).toBeUndefined();
  },
  'tls13-mtls'([f]) {
    expect(f).toMatchObject({ version: '1.3', mtls: 'unverifiable' });
  },
  'tls13-hrr'([f]) {
    expect(f).toMatchObject({ version: '1.3', mtls: 'unverifiable', serverHello: { helloRetryRequest: true, selectedVersion: 0x0304 } });
  },
  tls10([f]) {
    expect(f).toMatchObject({ version: '1.0', mtls: 'absent', certificateRequest: false, clientHello: { legacyVersion: 0x0301 }, serverHello: { legacyVersion: 0x0301 } });
  },
  curl([f]) {
    expect(f).toMatchObject({
      version: '1.3',
      mtls: 'unverifiable',
      clientHello: { serverName: 'api.flowaudit.test', alpn: ['h2', 'http/1.1'], offersTls13Suites: true },
    });
    expect(f.clientHello?.supportedVersions).toContain(0x0304);
    // TLS 1.3 sends the selected protocol encrypted.
    expect(f.serverHello?.alpn).toBeUndefined();
  },
  'curl-tls12'([f]) {
    expect(f).toMatchObject({
      version: '1.2',
      mtls: 'absent',
      clientHello: { serverName: 'api12.flowaudit.test', alpn: ['h2', 'http/1.1'] },
      serverHello: { alpn: 'http/1.1' },
    });
  },
};

/** With the default 512-byte prefix: what survives, and the reason given when the evidence is cut. */
const EXPECTED_AT_512: Record<string, (flows: TlsHandshake[]) => void> = {
  tls12([f]) {
    expect(f).toMatchObject({ version: '1.2', mtls: 'unknown', incomplete: 'server ServerKeyExchange truncated at 512 bytes (payload limit)' });
    expect(f.clientHello?.serverName).toBe('tls12.flowaudit.test');
  },
  'tls12-mtls'([f]) {
    expect(f).toMatchObject({ version: '1.2', mtls: 'unknown', incomplete: 'server Certificate truncated at 512 bytes (payload limit)' });
  },
  tls13([f]) {
    expect(f).toMatchObject({ version: '1.3', mtls: 'unverifiable' });
    expect(f.incomplete).toBeUndefined();
  },
  curl([f]) {
    // curl pads its hello to 512 bytes: only the padding extension falls past the cut.
    expect(f).toMatchObject({
      version: '1.3',
      mtls: 'unverifiable',
      incomplete: 'ClientHello truncated at 512 bytes (payload limit)',
      clientHello: { complete: false, serverName: 'api.flowaudit.test', alpn: ['h2', 'http/1.1'], supportedVersions: [0x0304, 0x0303, 0x0302, 0x0301] },
    });
  },
};

function captureSuite(label: string, setup: () => { dir: string; cleanup?: () => void }): void {
  describe(label, () => {
    let dir = '';
    let cleanup: (() => void) | undefined;
    let scenarios = new Map<string, Scenario>();
    let flows: ParsedFlow<TlsEvidence>[] = [];
    let flowsAt512: ParsedFlow<TlsEvidence>[] = [];
    beforeAll(async () => {
      ({ dir, cleanup } = setup());
      scenarios = readScenarios(dir);
      flows = await parseCaptureFlows(join(dir, CAPTURE), parse, 4096);
      flowsAt512 = await parseCaptureFlows(join(dir, CAPTURE), parse, 512);
    });
    afterAll(() => cleanup?.());

    const onPort = (list: ParsedFlow<TlsEvidence>[], port: number): TlsHandshake[] => list.filter((f) => f.serverPort === port).map((f) => tls(f.parsed));

    it('finds one TCP flow per connection, each TLS', () => {
      for (const s of scenarios.values()) {
        // The resumed scenario makes two connections; a skipped one may have made one or none.
        if (s.status === 'ok') expect(onPort(flows, s.port), s.name).toHaveLength(s.name === 'tls12-resumed' ? 2 : 1);
      }
      for (const f of flows) expect(f.parsed.kind).toBe('tls');
    });

    for (const [name, check] of Object.entries(EXPECTED)) {
      it(`${name}: shows what the scenario negotiated`, (ctx) => {
        const scenario = scenarios.get(name);
        if (scenario === undefined) throw new Error(`no scenario ${name} in the manifest`);
        if (scenario.status !== 'ok') ctx.skip(scenario.status);
        const found = onPort(flows, scenario.port);
        check(found);
        for (const f of found) expect(f.incomplete).toBeUndefined();
      });
    }

    for (const [name, check] of Object.entries(EXPECTED_AT_512)) {
      it(`${name}: with a 512-byte payload limit, says what the cut hides`, () => {
        check(onPort(flowsAt512, scenarios.get(name)!.port));
      });
    }

    it('keeps no payload bytes in any result', () => {
      for (const f of flows) {
        const json = JSON.stringify(f.parsed);
        expect(json.length).toBeLessThan(600);
        expect(json).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
      }
    });

    const tsharkMissing = missingTool(['tshark']);
    if (tsharkMissing !== undefined) {
      reportBlocked('tshark cross-check', 'tshark is not installed');
      return;
    }
    it('agrees with tshark on every handshake field both read', () => {
      const ports = [...scenarios.values()].map((s) => s.port);
      const shark = tsharkTlsFlows(join(dir, CAPTURE), ports);
      expect(shark.size).toBe(flows.length);
      for (const flow of flows) {
        const t = shark.get(flow.clientPort);
        const ours = tls(flow.parsed);
        expect(t, `tshark has the connection from port ${flow.clientPort}`).toBeDefined();
        if (t === undefined) continue;
        const at = `connection ${flow.clientPort} -> ${flow.serverPort}`;
        expect(ours.clientHello?.legacyVersion, at).toBe(t.clientHelloVersion);
        expect(ours.clientHello?.serverName, at).toBe(t.serverName);
        expect(ours.clientHello?.supportedVersions, at).toEqual(t.supportedVersions);
        expect(ours.clientHello?.cipherSuiteCount, at).toBe(t.cipherSuiteCount);
        expect(ours.clientHello?.alpn, at).toEqual(t.alpn);
        expect(ours.serverHello?.legacyVersion, at).toBe(t.serverHelloVersion);
        expect(ours.serverHello?.selectedVersion, at).toBe(t.selectedVersion);
        expect(ours.serverHello?.cipherSuite, at).toBe(t.cipherSuite);
        expect(ours.serverHello?.alpn, at).toBe(t.serverAlpn);
        if (ours.certificateRequest !== undefined) expect(ours.certificateRequest, at).toBe(t.serverTypes.includes(13));
        if (ours.clientCertificate === 'non-empty' || ours.clientCertificate === 'empty') {
          expect(t.clientTypes, at).toContain(11);
          expect(ours.clientCertificate === 'non-empty', at).toBe((t.clientCertificatesLength ?? 0) > 0);
        }
        if (ours.clientCertificate === 'not-sent') expect(t.clientTypes, at).not.toContain(11);
        // A resumed session: tshark too sees a ServerHello and nothing else in the clear.
        if (ours.resumed === true) expect(t.serverTypes, at).toEqual([2]);
      }
    });
  });
}

captureSuite('committed capture (test/fixtures/tls)', () => ({ dir: FIXTURES }));

const blocker = liveCaptureBlocker(['tcpdump', 'openssl', 'curl', 'ss']);
if (blocker !== undefined) {
  describe('live capture on loopback', () => reportBlocked('recording TLS handshakes on loopback', blocker));
} else {
  captureSuite('live capture on loopback, recorded now', () => {
    const dir = newTempDir('tls').path;
    runScript(SCRIPT, [dir, String(randomPortBase())]);
    return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  });
}
