/**
 * The eBPF loader (native/build/flowaudit-loader) as the tests run it: spawned in the root
 * namespace, its stdout decoded by LoaderStreamDecoder as it arrives and kept raw too (a recorded
 * stream for the decoder's own tests), its stderr kept as text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LoaderEvent, LoaderFlow, LoaderPayload } from '../../src/engine/loader-events.js';
import { LoaderStreamDecoder, type LoaderStreamError } from '../../src/engine/loader-stream.js';
import { missingTools } from '../support/tshark.js';
import { waitFor } from './pod-lab.js';

export const LOADER = fileURLToPath(new URL('../../native/build/flowaudit-loader', import.meta.url));

/** Null if the kernel tests can run here, else the reason. */
export function ebpfUnavailable(): string | null {
  if (process.platform !== 'linux') return `eBPF needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (eBPF, namespaces)';
  const tools = missingTools(['ip', 'tc', 'bpftool', 'tcpdump', 'curl', 'openssl', 'python3', 'setpriv']);
  if (tools !== null) return tools;
  if (!existsSync(LOADER)) return 'native/build/flowaudit-loader is not built (make -C native: clang, llvm, bpftool, libbpf-dev, libelf-dev, protobuf-c-compiler, libprotobuf-c-dev)';
  return null;
}

export class LoaderProcess {
  readonly events: LoaderEvent[] = [];
  readonly problems: LoaderStreamError[] = [];
  readonly raw: Buffer[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly decoder = new LoaderStreamDecoder(
    (e) => this.events.push(e),
    (p) => this.problems.push(p),
  );

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.decoder.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(child, 'exit').then(([code, signal]) => {
      this.decoder.end();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
  }

  /** Starts the loader, optionally behind a wrapper (setpriv ...), and waits for its Hello. */
  static async start(args: readonly string[], wrapper: readonly string[] = []): Promise<LoaderProcess> {
    const argv = [...wrapper, LOADER, ...args];
    const loader = new LoaderProcess(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
    let gone = false;
    void loader.exited.then(() => (gone = true));
    await waitFor(() => gone || loader.events.some((e) => e.kind === 'hello'), 'the loader to start');
    return loader;
  }

  /** Waits until the loader reports `name` attached (true) or let go (false). */
  async waitInterface(name: string, attached: boolean): Promise<void> {
    await waitFor(() => this.events.some((e) => e.kind === 'interface' && e.name === name && e.attached === attached), `${name} ${attached ? 'attached' : 'let go'}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** The last report of each flow (its final counters once the loader has stopped). */
  lastFlows(): LoaderFlow[] {
    const byKey = new Map<string, LoaderFlow>();
    for (const e of this.events) if (e.kind === 'flow') byKey.set(flowKeyText(e), e);
    return [...byKey.values()];
  }
}

export function flowKeyText(f: Pick<LoaderFlow, 'key'>): string {
  const k = f.key;
  return `${k.protocol} ${k.a.address}:${k.a.port} ${k.b.address}:${k.b.port}`;
}

/** The payload chunks of one flow direction put back in stream order (overlaps overwrite). */
export function streamOf(chunks: readonly LoaderPayload[], key: string, bToA: boolean): Buffer {
  const mine = chunks.filter((c) => flowKeyText(c) === key && c.bToA === bToA);
  const out = Buffer.alloc(Math.max(0, ...mine.map((c) => c.offset + c.data.length)));
  for (const c of mine) out.set(c.data, c.offset);
  return out;
}
