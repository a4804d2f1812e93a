import { LoaderSupervisor } from '../engine/loader-supervisor.js';
import type { SourceFactory } from './agent.js';

export interface EbpfEngineOptions {
  /** Interface name patterns (fnmatch, e.g. `veth*`) the loader attaches to; none or `any`: every non-loopback Ethernet interface. */
  readonly interfaces: readonly string[];
  /** Link kinds (`veth`, `bridge`) the loader attaches to, beside the patterns. */
  readonly kinds: readonly string[];
  /** Entries of the kernel's flow map; the loader's default (65,536) when undefined. */
  readonly maxFlows?: number | undefined;
  /** Bytes of the payload ring buffer; the loader's default (1 MiB) when undefined. */
  readonly ringBytes?: number | undefined;
}

/** The agent's source for `watch --engine ebpf`: one loader, following the interfaces it is told of, run and restarted by a LoaderSupervisor. */
export function ebpfSources(options: EbpfEngineOptions): SourceFactory {
  return (log) => [new LoaderSupervisor({ args: loaderArgs(options), logger: log })];
}

/** The loader's options (native/flowaudit.c, docs/ebpf.md "The loader") for the agent's. */
function loaderArgs(options: EbpfEngineOptions): string[] {
  const patterns = options.interfaces.includes('any') ? [] : options.interfaces;
  const sizes = [...(options.maxFlows === undefined ? [] : ['--max-flows', String(options.maxFlows)]), ...(options.ringBytes === undefined ? [] : ['--ring-bytes', String(options.ringBytes)])];
  return [...patterns.flatMap((p) => ['-i', p]), ...options.kinds.flatMap((k) => ['--kind', k]), ...sizes];
}
