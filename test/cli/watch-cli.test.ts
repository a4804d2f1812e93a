/** `flowaudit watch` refusing bad starts: one line on stderr naming what is wrong, exit 2, nothing left running. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { makeTestPki } from '../support/test-pki.js';
import { gate } from '../support/tshark.js';
import { newTempDir } from '../support/temp-dir.js';

function watch(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const r = spawnSync('node', ['dist/bin/flowaudit.js', 'watch', ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { status: r.status, stderr: r.stderr };
}

const capture = gate(process.getuid?.() !== 0 ? 'needs root (opens a live capture)' : liveCaptureUnavailable());

describe('watch: bad starts', () => {
  it('without the cap addon, says what to install', () => {
    const r = watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4'], { FLOWAUDIT_CAP_MODULE: '/nonexistent/cap' });
    expect(r).toEqual({ status: 2, stderr: 'flowaudit: live capture needs libpcap: apt-get install libpcap-dev (dnf install libpcap-devel), then npm ci (the optional dependency cap is not installed)\n' });
  });

  it('refuses a listen address without a port, an unknown profile, and no interface', () => {
    expect(watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--listen', '9847'])).toEqual({
      status: 2,
      stderr: "error: option '--listen <[host]:port>' argument '9847' is invalid. expected [host]:port, e.g. :9847 or 127.0.0.1:9847\n",
    });
    const profile = watch(['--interface', 'lo', '--rules', 'no-such-profile']);
    expect(profile.status).toBe(2);
    expect(profile.stderr).toMatch(/^flowaudit: no-such-profile: no shipped profile "no-such-profile" \(shipped: .*\)\n$/);
    expect(watch(['--rules', 'apigee-hybrid-1.4'])).toEqual({ status: 2, stderr: 'flowaudit: watch: name an interface to capture on: --interface NAME (or any)\n' });
  });

  it('refuses a --flush-interval past Node\'s timer limit instead of flushing every millisecond', () => {
    expect(watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--flush-interval', '2147484'])).toEqual({
      status: 2,
      stderr: "error: option '--flush-interval <seconds>' argument '2147484' is invalid. expected 0.001 to 2147483.647 seconds (Node's timer limit, about 24.8 days)\n",
    });
  });

  it('checks the web config before it captures: a header Node refuses is exit 2 with FILE:LINE:COL', () => {
    const file = join(newTempDir('web').path, 'web.yml');
    writeFileSync(file, 'http_server_config:\n  headers:\n    X-Note: "a\\r\\nSet-Cookie: x"\n');
    expect(watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0', '--web.config.file', file])).toEqual({
      status: 2,
      stderr: `flowaudit: ${file}:3:13: the value of header X-Note holds a character HTTP does not allow in a header (a control character or a line break)\n`,
    });
  });

  it('refuses a certificate and key that do not match with exit 2, not 70 after capture began', () => {
    const pki = makeTestPki();
    const file = join(pki.dir, 'web.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n');
    expect(watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0', '--web.config.file', file])).toEqual({
      status: 2,
      stderr: `flowaudit: ${file}:3:13: key_file client.key is not the key of the certificate in cert_file server.crt\n`,
    });
  });

  it.skipIf(capture.skip)(`names the interface that cannot be opened, and a filter that does not compile${capture.suffix}`, () => {
    capture.assertAvailable();
    expect(watch(['--engine', 'pcap', '--interface', 'fa-nosuch0', '--rules', 'apigee-hybrid-1.4', '--listen', '127.0.0.1:0'])).toEqual({ status: 2, stderr: 'flowaudit: fa-nosuch0: no such device exists\n' });
    const filter = watch(['--interface', 'lo', '--rules', 'apigee-hybrid-1.4', '--filter', 'tcp port', '--listen', '127.0.0.1:0']);
    expect(filter).toEqual({ status: 2, stderr: 'flowaudit: lo: bad filter: can\'t parse filter expression: syntax error\n' });
  });
});
