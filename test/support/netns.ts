/**
 * Two network namespaces joined by a veth pair, for tests that make real traffic and capture it.
 * Everything is created under names starting "fa-fix-", addresses are 10.203.0.0/24 and
 * fd00:203::/64 inside the pair only, and destroy() removes the namespaces and every process the
 * pair started. Traffic never leaves the pair.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { missingTools } from './tshark.js';

export const SERVER_V4 = '10.203.0.1';
export const CLIENT_V4 = '10.203.0.2';
export const SERVER_V6 = 'fd00:203::1';
export const CLIENT_V6 = 'fd00:203::2';

export type Side = 'server' | 'client';

function run(cmd: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(cmd: string, args: readonly string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Null if live capture can work here: root, the tools, and a namespace that can really be created
 * (a container without CAP_SYS_ADMIN lists namespaces but cannot add one). Else the reason.
 */
export function liveCaptureUnavailable(extraTools: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, tcpdump)';
  const tools = missingTools(['ip', 'tcpdump', 'tshark', ...extraTools]);
  if (tools !== null) return tools;
  const probe = `fa-fix-probe-${process.pid}`;
  const added = run('ip', ['netns', 'add', probe]);
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  run('ip', ['netns', 'del', probe]);
  return null;
}

export class NamespacePair {
  readonly server: string;
  readonly client: string;
  private readonly children = new Set<ChildProcess>();

  private constructor(server: string, client: string) {
    this.server = server;
    this.client = client;
  }

  /**
   * Takes charge of two namespaces another helper built (test/support/vxlan-overlay.ts): the
   * processes started in them, their captures, and at destroy() the namespaces themselves.
   */
  static adopt(server: string, client: string): NamespacePair {
    return new NamespacePair(server, client);
  }

  /**
   * Creates fa-fix-<tag>-srv (10.203.0.1, fd00:203::1) and fa-fix-<tag>-cli (10.203.0.2,
   * fd00:203::2), joined by veth0 in each, both ends created inside the namespaces. Leftovers of
   * an earlier run with the same tag are removed first.
   */
  static async create(tag: string): Promise<NamespacePair> {
    const pair = new NamespacePair(`fa-fix-${tag}-srv`, `fa-fix-${tag}-cli`);
    pair.deleteNamespaces();
    try {
      mustRun('ip', ['netns', 'add', pair.server]);
      mustRun('ip', ['netns', 'add', pair.client]);
      mustRun('ip', ['-n', pair.server, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', pair.client]);
      for (const [ns, v4, v6] of [
        [pair.server, SERVER_V4, SERVER_V6],
        [pair.client, CLIENT_V4, CLIENT_V6],
      ] as const) {
        mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.veth0.router_solicitations=0']);
        mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        mustRun('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'veth0']);
        mustRun('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', 'veth0', 'nodad']);
        mustRun('ip', ['-n', ns, 'link', 'set', 'veth0', 'up']);
      }
      // Link-local duplicate address detection (and its MLD reports) before anyone captures.
      for (let i = 0; i < 50; i++) {
        const tentative = [pair.server, pair.client].map((ns) => mustRun('ip', ['-n', ns, '-6', 'addr', 'show', 'dev', 'veth0', 'tentative'])).join('');
        if (tentative.trim() === '') break;
        await sleep(100);
      }
    } catch (err) {
      pair.deleteNamespaces();
      throw err;
    }
    return pair;
  }

  nameOf(side: Side): string {
    return side === 'server' ? this.server : this.client;
  }

  /** Runs a command to completion in a namespace. */
  exec(side: Side, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
    return run('ip', ['netns', 'exec', this.nameOf(side), ...args], input);
  }

  /**
   * Starts a long-running command in a namespace; destroy() ends it if it is still running. Its
   * stdout and stderr are drained (a full pipe would stall it) into `output` for diagnostics.
   */
  spawn(side: Side, args: readonly string[], options: { cwd?: string } = {}): Background {
    const child = spawn('ip', ['netns', 'exec', this.nameOf(side), ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const background: Background = { child, output: '' };
    const keep = (chunk: Buffer) => {
      if (background.output.length < 65536) background.output += chunk.toString('utf8');
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return background;
  }

  /** Waits until something in the namespace listens on `port` (TCP or UDP). */
  async waitListening(side: Side, protocol: 'tcp' | 'udp', port: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = this.exec(side, ['ss', protocol === 'tcp' ? '-Hltn' : '-Hlun', `sport = :${port}`]);
      if (r.status === 0 && r.stdout.trim() !== '') return;
      await sleep(50);
    }
    throw new Error(`nothing listens on ${protocol}/${port} in ${this.nameOf(side)}`);
  }

  /**
   * Starts tcpdump in a namespace writing `file`, and resolves once it is capturing. Immediate mode
   * and packet-buffered output, so that stop() loses nothing still in the kernel's ring buffer.
   */
  async startTcpdump(side: Side, file: string, args: readonly string[] = ['-i', 'veth0']): Promise<Capture> {
    const tcpdump = this.spawn(side, ['tcpdump', '-Z', 'root', '-n', '-s', '262144', '--immediate-mode', '-U', ...args, '-w', file]);
    const child = tcpdump.child;
    for (let i = 0; !tcpdump.output.includes('listening on'); i++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tcpdump exited before capturing: ${tcpdump.output}`);
      if (i === 200) throw new Error(`tcpdump did not start capturing: ${tcpdump.output}`);
      await sleep(50);
    }
    return {
      file,
      async stop(): Promise<string> {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await withTimeout(exited, 10_000, 'tcpdump did not stop');
        }
        return tcpdump.output;
      },
    };
  }

  /** Ends every process the pair started, then anything else left inside its namespaces, then them. */
  async destroy(): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        exits.push(once(child, 'exit'));
        child.kill('SIGTERM');
      }
    }
    await withTimeout(Promise.all(exits), 10_000, 'processes in the namespaces did not stop').catch(() => {
      for (const child of this.children) child.kill('SIGKILL');
    });
    this.deleteNamespaces();
  }

  private deleteNamespaces(): void {
    for (const ns of [this.server, this.client]) {
      if (run('ip', ['netns', 'pids', ns]).status !== 0) continue; // no such namespace
      // Only our own processes run in our namespaces (a crashed earlier run's, at worst).
      for (const pid of run('ip', ['netns', 'pids', ns]).stdout.split('\n').filter((l) => l !== '')) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      run('ip', ['netns', 'del', ns]);
    }
  }
}

export interface Background {
  readonly child: ChildProcess;
  /** What it printed so far (stdout and stderr, the first 64 KiB). */
  output: string;
}

export interface Capture {
  readonly file: string;
  /** Stops tcpdump (SIGTERM: it flushes and closes the file); returns its stderr (the counts). */
  stop(): Promise<string>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
