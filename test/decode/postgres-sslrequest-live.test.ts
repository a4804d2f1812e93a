/**
 * A real PostgreSQL server on loopback (a throwaway cluster made with initdb, run as the postgres
 * user, ssl=on with the test PKI's certificate) and psql with sslmode=require, sslmode=disable,
 * and sslmode=prefer against the same server with ssl=off (it answers the SSLRequest with N),
 * recorded with tcpdump on lo and graded as `analyze` grades them; the TLS version and SNI held to
 * tshark's pgsql dissection of the same capture. Needs root, tcpdump, tshark and PostgreSQL.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeSecurity } from '../../src/audit/observe-security.js';
import type { ObservedSecurity } from '../../src/audit/verdict.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { freePort } from '../support/loopback-exchange.js';
import { makeTestPki } from '../support/test-pki.js';
import { liveCaptureBlocker, missingTool, reportBlocked } from '../support/tls-dns-tools.js';
import { tsharkTlsFlows } from '../support/tls-tshark.js';
import { newTempDir } from '../support/temp-dir.js';
import { RecordingSink } from '../support/recording-sink.js';

/**
 * Debian keeps the server's programs out of the PATH, in /usr/lib/postgresql/VERSION/bin: the
 * newest such directory goes first on this file's PATH, so initdb and pg_ctl are found on a fresh
 * machine too.
 */
const PG_BIN = (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
  .map((version) => `/usr/lib/postgresql/${version}/bin`)
  .filter((bin) => existsSync(`${bin}/initdb`))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  .pop();
if (PG_BIN !== undefined) process.env.PATH = `${PG_BIN}:${process.env.PATH}`;
/** A server program by its full path where found (runuser may reset the PATH), else by name. */
const pg = (program: string): string => (PG_BIN === undefined ? program : `${PG_BIN}/${program}`);
const TOOLS = ['tcpdump', 'tshark', 'initdb', 'pg_ctl', 'psql', 'runuser'];
const blocker = liveCaptureBlocker(TOOLS) ?? (spawnOk('id', ['postgres']) ? undefined : 'there is no postgres user to run the server as');

function spawnOk(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('PostgreSQL SSLRequest, live on loopback', () => {
  if (blocker !== undefined || missingTool(TOOLS) !== undefined) {
    reportBlocked('PostgreSQL and psql recorded with tcpdump', blocker ?? `${missingTool(TOOLS)} is not installed`);
    return;
  }
  let dir = '';
  let port = 0;
  let capture = '';
  /** Grades in the order the connections were made: require, disable, prefer against ssl=off. */
  let grades: ObservedSecurity[] = [];
  let clientPorts: number[] = [];

  const asPostgres = (args: string[]): string => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const startServer = (ssl: 'on' | 'off'): void => {
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=${ssl} -c ssl_cert_file=${dir}/server.crt -c ssl_key_file=${dir}/server.key`;
    asPostgres([pg('pg_ctl'), '-D', `${dir}/data`, '-o', options, '-l', `${dir}/server.log`, '-w', 'start']);
  };
  const psql = (sslmode: string): void => {
    execFileSync('psql', [`host=localhost hostaddr=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=${sslmode} gssencmode=disable`, '-Atc', 'select 1'], { stdio: 'pipe', timeout: 10_000 });
  };

  beforeAll(async () => {
    dir = newTempDir('postgres').path;
    chmodSync(dir, 0o755);
    const pki = makeTestPki();
    copyFileSync(pki.serverCert, join(dir, 'server.crt'));
    copyFileSync(pki.serverKey, join(dir, 'server.key'));
    rmSync(pki.dir, { recursive: true, force: true });
    execFileSync('chown', ['-R', 'postgres', dir]);
    chmodSync(join(dir, 'server.key'), 0o600);
    asPostgres([pg('initdb'), '-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    port = await freePort();
    capture = join(dir, 'postgres.pcap');
    const tcpdump: ChildProcess = spawn('tcpdump', ['-i', 'lo', '-n', '-s', '0', '--immediate-mode', '-U', '-w', capture, `tcp port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => {
      let err = '';
      tcpdump.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
    });
    try {
      startServer('on');
      psql('require');
      psql('disable');
      asPostgres([pg('pg_ctl'), '-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
      startServer('off');
      psql('prefer');
    } finally {
      spawnOk('runuser', ['-u', 'postgres', '--', 'pg_ctl', '-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
      // Without --immediate-mode -U, packets still in the kernel's ring when tcpdump stops are lost.
      await new Promise((resolve) => setTimeout(resolve, 200));
      tcpdump.kill('SIGINT');
      await new Promise((resolve) => tcpdump.on('exit', resolve));
    }
    const recording = new RecordingSink();
    await readFlows([capture], recording, { table: { payloadLimit: 4096, plainPayloadLimit: 16 } });
    const flows = recording.flows.sort((a, b) => a.id - b.id);
    grades = flows.map((f) => observeSecurity(f));
    clientPorts = flows.map((f) => f.client.port);
  }, 60_000);
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('sslmode=require: TLS after the SSLRequest, with the SNI libpq sends', () => {
    expect(grades).toHaveLength(3);
    expect(grades[0]).toMatchObject({ grade: 'mtls-unverifiable', tlsVersion: '1.3', serverName: 'localhost', upgraded: 'postgres-sslrequest' });
    expect(grades[0].detail).toBe('TLS 1.3 after postgres-sslrequest, client certificates encrypted');
  });

  it('sslmode=disable is plaintext; a server with ssl=off answers N and the connection stays plaintext', () => {
    expect(grades[1]).toEqual({ grade: 'plaintext', detail: 'plaintext (unrecognised protocol)' });
    expect(grades[2]).toEqual({ grade: 'plaintext', detail: 'plaintext (postgres: the server refused the SSLRequest (N))' });
  });

  it('agrees with tshark (pgsql dissector) on the version and SNI', () => {
    const shark = tsharkTlsFlows(capture, [port], () => 'pgsql');
    const t = shark.get(clientPorts[0]);
    expect([t?.selectedVersion, t?.serverName]).toEqual([0x0304, 'localhost']);
    expect(shark.get(clientPorts[1])).toBeUndefined();
    expect(shark.get(clientPorts[2])).toBeUndefined();
    expect(readFileSync(capture).length).toBeGreaterThan(0);
  });
});
