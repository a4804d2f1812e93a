import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETHERTYPE, ethernet, ipv4, LINKTYPE, tcp, TCP_FLAGS } from '../../src/frame-builder.js';
import { pcapFile } from '../support/capture-writer.js';
import { ensureCliBuilt } from '../support/tshark.js';
import { udpBetweenNodes, vxlanHeader } from '../support/tunnel-wrap.js';
import { tempDir } from '../support/temp-dir.js';

const MAIN = join(resolve(import.meta.dirname, '../..'), 'dist/bin/flowaudit.js');
const dir = tempDir('tunnel-ports').path;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  ensureCliBuilt();
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One pod SYN in VXLAN to `port`. */
function vxlanCapture(name: string, port: number): string {
  const pod = ethernet(ipv4({ src: '10.244.1.5', dst: '10.244.2.9', protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 8443, flags: TCP_FLAGS.SYN }) }), { etherType: ETHERTYPE.Ipv4 });
  const file = join(dir, name);
  writeFileSync(file, pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, [{ seconds: 1_700_000_000, fraction: 0, data: udpBetweenNodes(port, Buffer.concat([vxlanHeader(5), pod])) }]));
  return file;
}

const tunnelsOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { run: { tunnels: { decapsulated: Record<string, number> } } }).run.tunnels.decapsulated;

describe('tunnel port options', () => {
  it('flows, analyze and watch take --vxlan-port, --geneve-port and --gtp-port', () => {
    for (const command of ['flows', 'analyze', 'watch']) {
      const help = cli([command, '--help']).stdout;
      for (const option of ['--vxlan-port <port>', '--geneve-port <port>', '--gtp-port <port>']) expect(help, command).toContain(option);
    }
  });

  it('ports given replace the defaults, and repeat', () => {
    const on4789 = vxlanCapture('4789.pcap', 4789);
    const on9000 = vxlanCapture('9000.pcap', 9000);
    expect(tunnelsOf(cli(['flows', on4789, '-f', 'json', '-q']))).toEqual({ vxlan: 1 });
    expect(tunnelsOf(cli(['flows', on9000, '-f', 'json', '-q']))).toEqual({});
    expect(tunnelsOf(cli(['flows', on4789, on9000, '-f', 'json', '-q', '--vxlan-port', '9000']))).toEqual({ vxlan: 1 });
    expect(tunnelsOf(cli(['flows', on4789, on9000, '-f', 'json', '-q', '--vxlan-port', '9000', '--vxlan-port', '4789']))).toEqual({ vxlan: 2 });
  });

  it('a port out of range is a usage error (exit 2) naming the option', () => {
    for (const option of ['--vxlan-port', '--geneve-port', '--gtp-port']) {
      expect(cli(['flows', 'x.pcap', option, '0'])).toEqual({ code: 2, stdout: '', stderr: `error: option '${option} <port>' argument '0' is invalid. expected a port from 1 to 65535\n` });
    }
    expect(cli(['flows', 'x.pcap', '--vxlan-port', '65536']).code).toBe(2);
  });
});
