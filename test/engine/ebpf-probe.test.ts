/**
 * ebpfEngineUnavailable, what `watch --engine auto` asks: each reason on its own input, and the
 * capabilities of real processes whose bounding set setpriv dropped (as test/ebpf/lifecycle.test.ts
 * drops them from the loader): the probe names the capability the real loader names.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ebpfEngineUnavailable } from '../../src/engine/ebpf-probe.js';
import { LOADER_CANDIDATES } from '../../src/engine/loader-path.js';
import { gate, missingTools } from '../support/tshark.js';

/** A stand-in for the loader binary: anything executable. */
const EXECUTABLE = process.execPath;
const BUILT_LOADER = LOADER_CANDIDATES[LOADER_CANDIDATES.length - 1];

function status(uid: number, caps: { inh?: string; bnd?: string; amb?: string }): string {
  return [
    `Uid:\t${uid}\t${uid}\t${uid}\t${uid}`,
    `CapInh:\t${caps.inh ?? '0000000000000000'}`,
    'CapPrm:\t000001ffffffffff',
    'CapEff:\t000001ffffffffff',
    `CapBnd:\t${caps.bnd ?? '000001ffffffffff'}`,
    `CapAmb:\t${caps.amb ?? '0000000000000000'}`,
  ].join('\n');
}

const bit = (cap: number) => 1n << BigInt(cap);
const hex = (caps: bigint) => caps.toString(16).padStart(16, '0');
const ALL = (1n << 41n) - 1n;

describe('ebpfEngineUnavailable', () => {
  const ok = { platform: 'linux', loaderPath: EXECUTABLE, kernelRelease: '6.1.0-18-amd64', procStatus: status(0, {}) };

  it('says yes to root on Linux 6.1 with the loader built', () => {
    expect(ebpfEngineUnavailable(ok)).toBeNull();
  });

  it('names a loader that is not built, and what builds it', () => {
    expect(ebpfEngineUnavailable({ ...ok, loaderPath: '/nonexistent/flowaudit-loader' })).toBe(
      'the eBPF loader is not built: no executable /nonexistent/flowaudit-loader (make -C native; needs clang, llvm, bpftool, libbpf-dev, libelf-dev, protobuf-c-compiler, libprotobuf-c-dev)',
    );
  });

  it('refuses a kernel before 5.8 (no BPF ring buffer), and takes 5.8 and 10.0', () => {
    expect(ebpfEngineUnavailable({ ...ok, kernelRelease: '5.4.0-150-generic' })).toBe('Linux 5.4.0-150-generic has no BPF ring buffer (Linux 5.8 or later needed)');
    expect(ebpfEngineUnavailable({ ...ok, kernelRelease: '4.19.0' })).toMatch(/no BPF ring buffer/);
    expect(ebpfEngineUnavailable({ ...ok, kernelRelease: '5.8.0' })).toBeNull();
    expect(ebpfEngineUnavailable({ ...ok, kernelRelease: '10.0.1' })).toBeNull();
  });

  it('needs Linux', () => {
    expect(ebpfEngineUnavailable({ ...ok, platform: 'darwin' })).toBe('the eBPF engine needs Linux (this is darwin)');
  });

  it('names the first capability missing from what the loader will inherit, CAP_SYS_ADMIN standing in for CAP_BPF and CAP_PERFMON', () => {
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(0, { bnd: hex(ALL & ~bit(39) & ~bit(21)) }) })).toBe(
      'missing capability CAP_BPF (to load the eBPF programs and create and read their maps)',
    );
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(0, { bnd: hex(ALL & ~bit(39) & ~bit(38)) }) })).toBeNull();
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(0, { bnd: hex(ALL & ~bit(12)) }) })).toMatch(/^missing capability CAP_NET_ADMIN /);
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(0, { bnd: hex(ALL & ~bit(38) & ~bit(21)) }) })).toMatch(/^missing capability CAP_PERFMON /);
    // Not root: only ambient capabilities reach the loader.
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(1000, {}) })).toMatch(/^missing capability CAP_BPF /);
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(1000, { amb: hex(bit(39) | bit(12) | bit(38)) }) })).toBeNull();
    expect(ebpfEngineUnavailable({ ...ok, procStatus: status(1000, { amb: hex(bit(21) | bit(12)) }) })).toBeNull();
  });
});

const canDrop =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'needs root (setpriv drops capabilities from the bounding set)'
    : missingTools(['setpriv']) ?? (existsSync(BUILT_LOADER) ? null : `${BUILT_LOADER} is not built (make -C native)`);
const g = gate(canDrop);

describe.skipIf(g.skip)(`ebpfEngineUnavailable on processes setpriv took capabilities from, against the real loader${g.suffix}`, () => {
  it.each([
    ['CAP_BPF', '-bpf,-sys_admin'],
    ['CAP_NET_ADMIN', '-net_admin'],
    ['CAP_PERFMON', '-perfmon,-sys_admin'],
  ])('without %s: the probe and the loader name the same capability', (cap, drop) => {
    g.assertAvailable();
    const setpriv = ['--inh-caps', '-all', '--bounding-set', drop];
    const procStatus = spawnSync('setpriv', [...setpriv, 'cat', '/proc/self/status'], { encoding: 'utf8' }).stdout;
    const probe = ebpfEngineUnavailable({ loaderPath: BUILT_LOADER, procStatus });
    expect(probe).toMatch(new RegExp(`^missing capability ${cap} `));
    // The loader checks its capabilities before anything else: it attaches nothing here.
    const loader = spawnSync('setpriv', [...setpriv, BUILT_LOADER, '-i', 'fa-m-none'], { encoding: 'utf8', timeout: 10_000 });
    expect(loader.status).toBe(3);
    expect(loader.stderr).toBe(`flowaudit-loader: ${probe}\n`);
  });

  it('says yes to this root process', () => {
    expect(ebpfEngineUnavailable({ loaderPath: BUILT_LOADER })).toBeNull();
  });
});
