/**
 * Whether the eBPF engine can run here, for `watch --engine auto`: null if it can, else why not
 * in one line, checked in the order the loader would fail: the loader binary, the kernel (the BPF
 * ring buffer came in Linux 5.8), and the capabilities the loader will have. Kernel BTF is not
 * checked: the programs use no CO-RE (docs/ebpf.md), so a kernel without it runs them.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { defaultLoaderPath } from './loader-path.js';

/** What the probe looks at; each defaults to this machine and process. */
export interface EbpfProbeInputs {
  readonly platform?: string;
  readonly loaderPath?: string;
  /** uname -r, e.g. "6.1.0-18-amd64". */
  readonly kernelRelease?: string;
  /** /proc/self/status of the process that will spawn the loader. */
  readonly procStatus?: string;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

/** As the loader checks and names them (native/flowaudit.c, check_capabilities). */
const NEEDED: readonly { cap: number; name: string; why: string; adminStandsIn: boolean }[] = [
  { cap: CAP_BPF, name: 'CAP_BPF', why: 'to load the eBPF programs and create and read their maps', adminStandsIn: true },
  { cap: CAP_NET_ADMIN, name: 'CAP_NET_ADMIN', why: 'to attach programs to interfaces (TCX links, tc filters)', adminStandsIn: false },
  { cap: CAP_PERFMON, name: 'CAP_PERFMON', why: 'for the verifier to accept the programs as privileged ones (no Spectre masking of their map pointers)', adminStandsIn: true },
];

const RING_BUFFER_KERNEL: readonly [number, number] = [5, 8];

/** Null if the eBPF engine can run, else the one-line reason (what auto logs when it picks libpcap). */
export function ebpfEngineUnavailable(inputs: EbpfProbeInputs = {}): string | null {
  const platform = inputs.platform ?? process.platform;
  if (platform !== 'linux') return `the eBPF engine needs Linux (this is ${platform})`;
  const loader = inputs.loaderPath ?? defaultLoaderPath();
  try {
    accessSync(loader, constants.X_OK);
  } catch {
    return `the eBPF loader is not built: no executable ${loader} (make -C native; needs clang, llvm, bpftool, libbpf-dev, libelf-dev, protobuf-c-compiler, libprotobuf-c-dev)`;
  }
  const kernel = inputs.kernelRelease ?? release();
  const version = /^(\d+)\.(\d+)/.exec(kernel);
  if (version === null) return `cannot read the kernel version from "${kernel}"`;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major < RING_BUFFER_KERNEL[0] || (major === RING_BUFFER_KERNEL[0] && minor < RING_BUFFER_KERNEL[1])) {
    return `Linux ${kernel} has no BPF ring buffer (Linux 5.8 or later needed)`;
  }
  const caps = loaderCapabilities(inputs.procStatus ?? readFileSync('/proc/self/status', 'utf8'));
  if (caps === null) return 'cannot read this process\'s capabilities from /proc/self/status';
  const has = (cap: number) => (caps >> BigInt(cap)) & 1n;
  for (const n of NEEDED) {
    if (!has(n.cap) && !(n.adminStandsIn && has(CAP_SYS_ADMIN))) return `missing capability ${n.name} (${n.why})`;
  }
  return null;
}

/**
 * The capabilities the loader will have when this process spawns it (capabilities(7), execve of a
 * binary without file capabilities): as root, the inheritable set and the bounding set; as
 * another user, only the ambient set. File capabilities set on the loader are not looked at.
 */
function loaderCapabilities(status: string): bigint | null {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m === null ? null : BigInt(`0x${m[1]}`);
  };
  const euid = /^Uid:\s*\d+\s+(\d+)/m.exec(status);
  if (euid === null) return null;
  if (euid[1] !== '0') return field('CapAmb');
  const inheritable = field('CapInh');
  const bounding = field('CapBnd');
  return inheritable === null || bounding === null ? null : inheritable | bounding;
}
