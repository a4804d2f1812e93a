/**
 * Short options as users of tcpdump expect them, and a wrong option's error naming the right one:
 * the built CLI, run as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/bin/flowaudit.js');
const BENCH_RULES = join(ROOT, 'bench/bench-rules.yaml');
const dir = tempDir('options').path;

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('short options', () => {
  it('watch -i is --interface, as in tcpdump', () => {
    // Without the capture addon the agent stops right after taking the interface: "-i lo" got past
    // "name an interface", so -i named one.
    const r = cli(['watch', '-i', 'lo', '-r', 'apigee-hybrid-1.4'], { FLOWAUDIT_CAP_MODULE: '/nonexistent/cap' });
    expect(r.stderr).toMatch(/^flowaudit: live capture needs libpcap/);
    expect(r.code).toBe(2);
    expect(cli(['watch', '--help']).stdout).toContain('-i, --interface <name>');
  });

  it('-I is --inventory in every command that reads inventories', () => {
    writeFileSync(join(dir, 'inv.yaml'), 'entries:\n  - name: laptop\n    addresses: ["192.168.5.5"]\n    components: [clients]\n');
    const r = cli(['rules', 'explain', BENCH_RULES, '-I', 'inv.yaml', '--flow', '192.168.5.5:40000 -> 10.96.0.10:53/udp']);
    expect(r.stdout).toContain('clients: inventory laptop (inv.yaml:2)');
    for (const command of [['analyze'], ['watch'], ['rules', 'explain']]) {
      expect(cli([...command, '--help']).stdout).toContain('-I, --inventory <file>');
    }
  });
});

describe('a wrong option names the right one', () => {
  it('a known alias names the option it stands for, before a missing required option', () => {
    expect(cli(['analyze', 'x.pcap', '--rule', 'apigee-hybrid'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--rule' (Did you mean --rules?)\n" });
    expect(cli(['watch', '--iface', 'eth0', '-r', 'apigee-hybrid'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--iface' (Did you mean --interface?)\n" });
  });

  it("a misspelling gets commander's suggestion, on the same line", () => {
    expect(cli(['analyze', 'x.pcap', '--rulse', 'apigee-hybrid'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--rulse' (Did you mean --rules?)\n" });
    expect(cli(['watch', '-r', 'apigee-hybrid', '--interfaces', 'eth0'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--interfaces' (Did you mean --interface?)\n" });
  });

  it('an alias of an option the command does not have suggests nothing', () => {
    expect(cli(['analyze', 'x.pcap', '-r', 'apigee-hybrid', '--iface', 'eth0']).stderr).toBe("error: unknown option '--iface'\n");
  });

  it('a required option left out is named', () => {
    expect(cli(['analyze', 'x.pcap'])).toEqual({ code: 2, stdout: '', stderr: "error: required option '-r, --rules <file|profile>' not specified\n" });
    expect(cli(['watch', '-i', 'lo'])).toEqual({ code: 2, stdout: '', stderr: "error: required option '-r, --rules <file|profile>' not specified\n" });
    expect(cli(['rules', 'explain', BENCH_RULES])).toEqual({ code: 2, stdout: '', stderr: "error: required option '--flow <spec>' not specified\n" });
  });
});
