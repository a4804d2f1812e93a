/**
 * Which engine `flowaudit watch --engine auto|ebpf|pcap` runs, and the one line that says why
 * (the agent logs it at start). Auto takes the eBPF engine when ebpfEngineUnavailable() finds
 * nothing against it, every interface named is one the loader follows (Ethernet; `lo` is not)
 * and no libpcap-only option (a BPF capture filter) was given; else libpcap.
 */
import { readFileSync } from 'node:fs';

/** ARPHRD_ETHER: the only link type the loader attaches to (its parser starts at an Ethernet header). */
const ARPHRD_ETHER = 1;
export type EngineRequest = 'auto' | 'ebpf' | 'pcap';

export const ENGINE_REQUESTS: readonly EngineRequest[] = ['auto', 'ebpf', 'pcap'];

export type EngineChoice =
  | { readonly engine: 'ebpf' | 'pcap'; readonly why: string }
  /** `--engine ebpf` where it cannot run: the reason, for a one-line refusal. */
  | { readonly engine: null; readonly why: string };

export interface EngineChoiceInputs {
  /** ebpfEngineUnavailable()'s answer: null if the eBPF engine can run. */
  readonly ebpfUnavailable: string | null;
  /** A BPF capture filter was given (--filter): only libpcap applies one. */
  readonly captureFilter: boolean;
  /** notEthernet()'s answer for the interfaces named: why the loader would not follow one, or null. */
  readonly notFollowed: string | null;
}

export function chooseEngine(request: EngineRequest, inputs: EngineChoiceInputs): EngineChoice {
  const { ebpfUnavailable, captureFilter, notFollowed } = inputs;
  switch (request) {
    case 'pcap':
      return { engine: 'pcap', why: '--engine pcap' };
    case 'ebpf':
      if (captureFilter) return { engine: null, why: '--filter is a libpcap capture filter; the eBPF engine takes none (use --engine pcap)' };
      if (notFollowed !== null) return { engine: null, why: notFollowed };
      return ebpfUnavailable === null ? { engine: 'ebpf', why: '--engine ebpf' } : { engine: null, why: ebpfUnavailable };
    case 'auto':
      if (captureFilter) return { engine: 'pcap', why: 'auto: --filter needs the libpcap engine' };
      if (notFollowed !== null) return { engine: 'pcap', why: `auto: ${notFollowed}` };
      return ebpfUnavailable === null
        ? { engine: 'ebpf', why: 'auto: the eBPF loader is built, the kernel has the BPF ring buffer and the loader will have CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON' }
        : { engine: 'pcap', why: `auto: the eBPF engine cannot run: ${ebpfUnavailable}` };
  }
}

/**
 * The first interface named (not a pattern, not `any`) that exists and is not Ethernet, as the
 * reason the eBPF engine would not see it; null if none. An interface that does not exist yet is
 * not held against it: the loader attaches when it appears.
 */
export function notEthernet(names: readonly string[], linkType: (name: string) => number | null = sysfsLinkType): string | null {
  for (const name of names) {
    if (name === 'any' || /[*?[/]/.test(name)) continue;
    const type = linkType(name);
    if (type !== null && type !== ARPHRD_ETHER) return `${name} is not an Ethernet interface (link type ${type}); the eBPF engine attaches to Ethernet interfaces only`;
  }
  return null;
}

/** /sys/class/net/NAME/type (an ARPHRD_ value), null if there is no such interface. */
function sysfsLinkType(name: string): number | null {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8'));
  } catch {
    return null;
  }
}
