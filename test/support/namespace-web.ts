/**
 * What the namespace tests serve and how they end a recording: hello.txt over HTTP (port 8080,
 * IPv4 and IPv6) and over HTTPS (openssl s_server -WWW on 8443, a self-signed certificate), and
 * tcpdump stopped with a check that it dropped nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, type Capture, type NamespacePair } from './netns.js';

/** Serves `text` as hello.txt from `dir`/www in the pair's server namespace, on 8080 (HTTP) and 8443 (HTTPS for `commonName`). */
export async function serveHello(pair: NamespacePair, dir: string, text: string, commonName: string): Promise<void> {
  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'hello.txt'), text);
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const req = pair.exec('server', ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${commonName}`, '-keyout', key, '-out', cert]);
  if (req.status !== 0) throw new Error(`openssl req: ${req.stderr}`);
  pair.spawn('server', ['python3', '-m', 'http.server', '8080', '--bind', '::'], { cwd: www });
  pair.spawn('server', ['openssl', 's_server', '-quiet', '-accept', '8443', '-cert', cert, '-key', key, '-WWW'], { cwd: www });
  await pair.waitListening('server', 'tcp', 8080);
  await pair.waitListening('server', 'tcp', 8443);
}

/** Waits for the last ACKs, then stops each capture; throws if tcpdump dropped a packet. */
export async function stopCaptures(captures: readonly Capture[]): Promise<void> {
  await sleep(300);
  for (const capture of captures) {
    const stats = await capture.stop();
    if (!/^0 packets dropped by kernel/m.test(stats)) throw new Error(`tcpdump dropped packets: ${stats}`);
  }
}
