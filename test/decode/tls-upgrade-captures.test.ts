/**
 * TLS after a plaintext start, on real exchanges (test/support/tls-upgrades.ts makes them: openssl
 * s_client -starttls and curl through proxies, against servers that speak each preamble and then
 * real TLS, or refuse): read through the capture reader, the flow table and the grading as
 * `analyze` reads them, and held to tshark's dissection of the same capture. Runs on the committed
 * capture and on one made now; FLOWAUDIT_UPDATE_FIXTURES=1 rewrites the committed one.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeSecurity } from '../../src/audit/observe-security.js';
import type { ObservedSecurity } from '../../src/audit/verdict.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { committedAndMadeNow, type MakeCapture } from '../support/fixture-suites.js';
import { missingTool, reportBlocked } from '../support/tls-dns-tools.js';
import { tsharkTlsFlows } from '../support/tls-tshark.js';
import { makeUpgradeCapture, UPGRADE_CASES, type UpgradeCaseName } from '../support/tls-upgrades.js';
import { newTempDir } from '../support/temp-dir.js';
import { RecordingSink } from '../support/recording-sink.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tls/tls-upgrades.pcap', import.meta.url));

/** Each case's grade as `analyze` makes it: 4096 bytes kept of TLS streams and upgrades, 16 of other plaintext. */
async function gradeCases(path: string): Promise<{ grades: Record<UpgradeCaseName, ObservedSecurity>; kept: Map<number, number> }> {
  const recording = new RecordingSink();
  await readFlows([path], recording, { table: { payloadLimit: 4096, plainPayloadLimit: 16 } });
  const byClientPort = new Map(recording.flows.map((flow) => [flow.client.port, observeSecurity(flow)]));
  const kept = new Map(recording.flows.map((flow) => [flow.client.port, flow.toServer.payload.length + flow.toClient.payload.length]));
  const grades = {} as Record<UpgradeCaseName, ObservedSecurity>;
  for (const name of Object.keys(UPGRADE_CASES) as UpgradeCaseName[]) {
    const grade = byClientPort.get(UPGRADE_CASES[name].clientPort);
    if (grade === undefined) throw new Error(`no flow for ${name}`);
    grades[name] = grade;
  }
  return { grades, kept };
}

/** The upgraded cases: how they reached TLS, the version negotiated and the SNI the client sent. */
const UPGRADED: Partial<Record<UpgradeCaseName, { upgraded: string; tlsVersion: string; serverName?: string }>> = {
  smtp: { upgraded: 'starttls-smtp', tlsVersion: '1.3', serverName: 'mail.flowaudit.test' },
  imap: { upgraded: 'starttls-imap', tlsVersion: '1.2', serverName: 'imap.flowaudit.test' },
  pop3: { upgraded: 'starttls-pop3', tlsVersion: '1.3', serverName: 'pop.flowaudit.test' },
  ftp: { upgraded: 'ftp-auth-tls', tlsVersion: '1.3', serverName: 'ftp.flowaudit.test' },
  ldap: { upgraded: 'starttls-ldap', tlsVersion: '1.2', serverName: 'ldap.flowaudit.test' },
  xmpp: { upgraded: 'starttls-xmpp', tlsVersion: '1.3', serverName: 'chat.flowaudit.test' },
  postgres: { upgraded: 'postgres-sslrequest', tlsVersion: '1.2', serverName: 'db.flowaudit.test' },
  mysql: { upgraded: 'mysql-ssl-request', tlsVersion: '1.3', serverName: 'mysql.flowaudit.test' },
  httpConnect: { upgraded: 'http-connect', tlsVersion: '1.3', serverName: 'api.flowaudit.test' },
  socks5: { upgraded: 'socks5', tlsVersion: '1.3', serverName: 'socks.flowaudit.test' },
};

/** The refused cases: plaintext, with the reason. */
const REFUSED: Partial<Record<UpgradeCaseName, string>> = {
  smtpRefused: 'plaintext (smtp: the server answered STARTTLS with 454)',
  smtpNotOffered: 'plaintext (smtp: the server answered STARTTLS with 502)',
  pop3Refused: 'plaintext (pop3: the server refused STLS)',
  ldapRefused: 'plaintext (ldap: the server answered StartTLS with result code 52)',
  postgresRefused: 'plaintext (postgres: the server refused the SSLRequest (N))',
  httpConnectRefused: 'plaintext (http: the proxy answered CONNECT with 403)',
};

/** tshark's dissector for each server port: the protocol whose STARTTLS it follows into TLS. */
const DISSECTORS: Record<number, string> = { 25: 'smtp', 143: 'imap', 110: 'pop', 21: 'ftp', 389: 'ldap', 5222: 'xmpp', 5432: 'pgsql', 3306: 'mysql', 3128: 'http', 1080: 'socks' };

function upgradeSuite(label: string, makeCapture: MakeCapture): void {
  describe(label, () => {
    let path = '';
    let cleanup: (() => void) | undefined;
    let grades = {} as Record<UpgradeCaseName, ObservedSecurity>;
    beforeAll(async () => {
      ({ path, cleanup } = await makeCapture());
      ({ grades } = await gradeCases(path));
    }, 60_000);
    afterAll(() => cleanup?.());

    for (const [name, want] of Object.entries(UPGRADED) as [UpgradeCaseName, NonNullable<(typeof UPGRADED)[UpgradeCaseName]>][]) {
      it(`${name}: TLS ${want.tlsVersion} after ${want.upgraded}, read like any handshake`, () => {
        const grade = grades[name];
        expect(grade).toMatchObject({ ...want, grade: want.tlsVersion === '1.3' ? 'mtls-unverifiable' : 'mtls-absent' });
        expect(grade.detail).toMatch(new RegExp(`^TLS ${want.tlsVersion.replace('.', '\\.')} after ${want.upgraded}, `));
      });
    }

    for (const [name, detail] of Object.entries(REFUSED) as [UpgradeCaseName, string][]) {
      it(`${name}: a refused upgrade stays plaintext, with the reason`, () => {
        expect(grades[name]).toEqual({ grade: 'plaintext', detail });
      });
    }

    if (missingTool(['tshark']) !== undefined) {
      reportBlocked('tshark cross-check of the TLS upgrades', 'tshark is not installed');
      return;
    }
    it('agrees with tshark on the version and SNI of every upgraded handshake', () => {
      const ports = Object.keys(DISSECTORS).map(Number);
      const shark = tsharkTlsFlows(path, ports, (port) => DISSECTORS[port]);
      for (const [name, want] of Object.entries(UPGRADED) as [UpgradeCaseName, NonNullable<(typeof UPGRADED)[UpgradeCaseName]>][]) {
        const t = shark.get(UPGRADE_CASES[name].clientPort);
        const version = t?.selectedVersion ?? t?.serverHelloVersion;
        expect({ name, version: version === 0x0303 ? '1.2' : version === 0x0304 ? '1.3' : version }).toEqual({ name, version: grades[name].tlsVersion });
        // tshark 4.0's MySQL dissector does not hand on a ClientHello sent in the SSL request's
        // segment (s_client writes both at once; the proxy reads them together or apart, as they
        // come): then only our reading names the server.
        if (name === 'mysql' && t?.clientHelloVersion === undefined) continue;
        expect({ name, sni: t?.serverName }).toEqual({ name, sni: want.serverName });
      }
    });

    it('tshark sees no TLS handshake in the refused cases', () => {
      const shark = tsharkTlsFlows(path, Object.keys(DISSECTORS).map(Number), (port) => DISSECTORS[port]);
      for (const name of Object.keys(REFUSED) as UpgradeCaseName[]) expect(shark.get(UPGRADE_CASES[name].clientPort), name).toBeUndefined();
    });
  });
}

const MAIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'dist/bin/flowaudit.js');
const MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: upgrades
  title: Every upgrade's server port, over TLS
unmatched: violation
components:
  clients:
    match:
      - cidrs: ["10.0.0.1/32"]
  servers:
    match:
      - cidrs: ["10.0.0.2/32"]
connections:
  - id: clients-to-servers
    from: clients
    to: servers
    protocol: tcp
    ports: [21, 25, 110, 143, 389, 1080, 3128, 3306, 5222, 5432]
    security: tls
    minTlsVersion: "1.2"
`;

describe('flowaudit analyze on the committed capture, against a rule requiring TLS 1.2', () => {
  it('allows every upgraded flow, says how in the NDJSON record, and judges the refused ones insecure', () => {
    const dir = newTempDir('upgrade-cli').path;
    try {
      writeFileSync(join(dir, 'rules.yaml'), MATRIX);
      const run = spawnSync(process.execPath, [MAIN, 'analyze', FIXTURE, '--rules', join(dir, 'rules.yaml'), '-o', join(dir, 'flows.ndjson'), '-q'], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(1);
      const records = readFileSync(join(dir, 'flows.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { client: { port: number }; verdict: string; tls: { upgraded: string | null } | null; security_detail: string });
      const byName = (name: UpgradeCaseName) => records.find((r) => r.client.port === UPGRADE_CASES[name].clientPort)!;
      for (const [name, want] of Object.entries(UPGRADED) as [UpgradeCaseName, NonNullable<(typeof UPGRADED)[UpgradeCaseName]>][]) {
        expect({ name, verdict: byName(name).verdict, upgraded: byName(name).tls?.upgraded }).toEqual({ name, verdict: 'allowed', upgraded: want.upgraded });
      }
      for (const [name, detail] of Object.entries(REFUSED) as [UpgradeCaseName, string][]) {
        expect({ name, verdict: byName(name).verdict, upgraded: byName(name).tls?.upgraded ?? null, detail: byName(name).security_detail }).toEqual({ name, verdict: 'insecure', upgraded: null, detail });
      }
      expect(run.stdout).toContain('Flows by verdict: allowed 10, insecure 6');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

committedAndMadeNow({
  fixture: FIXTURE,
  madeNow: 'made now with openssl s_client -starttls and curl through proxies',
  tools: ['openssl', 'curl'],
  make: makeUpgradeCapture,
  suite: upgradeSuite,
});
