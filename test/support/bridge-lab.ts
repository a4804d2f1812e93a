/**
 * A lab network for end-to-end tests of the live agent: one Linux bridge in the ROOT namespace and
 * one network namespace per host (named after the component it plays), each joined to the bridge
 * by a veth pair. A capture on the bridge (`flowaudit watch --interface fa-br0`, tcpdump) sees
 * every frame the hosts exchange; processes in the root namespace (the agent, Prometheus) talk
 * to each other on 127.0.0.1 and never on the bridge.
 *
 * Isolation:
 * - The bridge carries no address and no route: nothing in the root namespace can reach the lab,
 *   and the lab cannot reach anything else. Host addresses live only inside their namespaces
 *   (default subnet 10.206.0.0/24, which no other test uses).
 * - IPv6 is disabled on the bridge, on the root-side veths and inside every namespace before the
 *   links come up, so no router solicitation, MLD report or DAD probe lands in a capture; the
 *   bridge's multicast snooping is off, so it sends no IGMP report of its own (it would join the
 *   multicast router discovery group 224.0.0.106 from 0.0.0.0). The bridge carries the tests'
 *   IPv4 traffic and ARP, nothing else.
 * - Names: the bridge `options.bridge` (default `fa-br0`), root-side veths `<bridge>-<i>`,
 *   namespaces `<prefix><host>` (default prefix `fa-lab-`: fa-lab-mp, fa-lab-cassandra, ...), the
 *   interface inside each namespace `eth0`. A lock file (pid) in the temp folder stops a second
 *   live lab with the same bridge; leftovers of a crashed earlier run (its pid gone) are removed
 *   first. Tests that may run at the same time as another lab pick another bridge and prefix
 *   (`{ bridge: 'fa-br1', prefix: 'fa-lab1-' }`).
 *
 * API:
 *   bridgeLabUnavailable(extraTools?)      null if a lab can be built here (root, ip, a namespace
 *                                          and a bridge can really be created), else the reason
 *   await BridgeLab.create(hosts, options?) hosts: [{ name: 'mp', address: '10.206.0.30' }, ...]
 *   lab.bridge, lab.hosts, lab.host(name)  names and addresses ({ name, netns, address, veth })
 *   lab.exec(host, argv, options?)         runs to completion inside the host's namespace (sync)
 *   await lab.run(host, argv, options?)    the same, without blocking the event loop
 *   lab.spawn(host, argv, options?)        a long-running process inside the namespace
 *   lab.spawnRoot(argv, options?)          a long-running process in the root namespace
 *                                          (both tracked: destroy() ends them; output kept)
 *   await lab.stop(background, signal?)    signals one of them, waits, returns its exit
 *   await lab.waitListening(host, 'tcp', port)
 *   await lab.startTcpdump(file, args?)    tcpdump on the bridge (root namespace), resolved once
 *                                          it captures; .stop() flushes and closes the file
 *   await lab.destroy()                    ends every process, removes namespaces, veths, bridge
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN in the root namespace) and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingTools } from './tshark.js';
import { processAlive } from './process-alive.js';

export const LAB_SUBNET = '10.206.0.0/24';
export const LAB_PREFIX_LENGTH = 24;

export interface LabHostSpec {
  /** Short name (letters, digits, '-'): the namespace is `<prefix><name>`. */
  readonly name: string;
  /** IPv4 address inside the lab subnet. */
  readonly address: string;
}

export interface LabHost extends LabHostSpec {
  readonly netns: string;
  /** The veth end attached to the bridge, in the root namespace. */
  readonly veth: string;
}

export interface BridgeLabOptions {
  /** Bridge name (at most 10 characters so that `<bridge>-<i>` fits IFNAMSIZ). Default fa-br0. */
  readonly bridge?: string;
  /** Namespace name prefix. Default fa-lab-. */
  readonly prefix?: string;
}

export interface ExecResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly input?: string;
  readonly cwd?: string;
  /** Killed (SIGKILL) after this long. Default 20 s. */
  readonly timeoutMs?: number;
}

export interface Background {
  readonly child: ChildProcess;
  readonly command: string;
  /** What it printed so far (the first MiB of each stream). */
  stdout: string;
  stderr: string;
  /** Settles when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LabCapture {
  readonly file: string;
  /** Stops tcpdump (SIGTERM: it flushes and closes the file); returns its stderr (the counts). */
  stop(): Promise<string>;
}

const OUTPUT_LIMIT = 1 << 20;
const DEFAULT_TIMEOUT_MS = 20_000;

function runSync(cmd: string, args: readonly string[], options: ExecOptions = {}): ExecResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: options.input, cwd: options.cwd, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL' });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function mustRun(cmd: string, args: readonly string[]): string {
  const r = runSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Writes a sysctl of the current (root) namespace's interface, if IPv6 exists at all. */
function disableIpv6Here(ifname: string): void {
  const path = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
  if (existsSync(path)) writeFileSync(path, '1\n');
}

/**
 * Null if a bridge lab can be built here: Linux, root, iproute2 (and `extraTools`), and a
 * namespace and a bridge that can really be created (a container without CAP_SYS_ADMIN or
 * CAP_NET_ADMIN lists namespaces but cannot add one). Else the reason.
 */
export function bridgeLabUnavailable(extraTools: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, a bridge, capture)';
  const tools = missingTools(['ip', ...extraTools]);
  if (tools !== null) return tools;
  const probe = `fa-lab-probe-${process.pid}`;
  const added = runSync('ip', ['netns', 'add', probe]);
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  runSync('ip', ['netns', 'del', probe]);
  const bridge = `fa-brp${process.pid % 100000}`;
  const br = runSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  if (br.status !== 0) return `cannot create a bridge: ${br.stderr.trim()}`;
  runSync('ip', ['link', 'del', bridge]);
  return null;
}

export class BridgeLab {
  readonly bridge: string;
  readonly prefix: string;
  readonly hosts: ReadonlyMap<string, LabHost>;
  private readonly children = new Set<Background>();
  private readonly lockFile: string;
  private destroyed = false;

  private constructor(specs: readonly LabHostSpec[], options: BridgeLabOptions) {
    this.bridge = options.bridge ?? 'fa-br0';
    this.prefix = options.prefix ?? 'fa-lab-';
    if (!/^[a-z0-9-]{1,10}$/.test(this.bridge)) throw new Error(`bridge name "${this.bridge}": at most 10 of a-z, 0-9, -`);
    const hosts = new Map<string, LabHost>();
    specs.forEach((s, i) => {
      if (!/^[a-z0-9-]+$/.test(s.name)) throw new Error(`host name "${s.name}": use a-z, 0-9, -`);
      if (hosts.has(s.name)) throw new Error(`host "${s.name}" twice`);
      hosts.set(s.name, { ...s, netns: `${this.prefix}${s.name}`, veth: `${this.bridge}-${i}` });
    });
    this.hosts = hosts;
    this.lockFile = join(tmpdir(), `flowaudit-lab-${this.bridge}.pid`);
  }

  /**
   * Builds the lab: removes leftovers of an earlier run (same bridge and prefix), then creates the
   * bridge (no address, IPv6 off, STP and multicast snooping off), and for each host its namespace
   * (lo up, IPv6 off) and a veth pair: `<bridge>-<i>` on the bridge, `eth0` in the namespace with
   * the host's address/24.
   */
  static async create(hosts: readonly LabHostSpec[], options: BridgeLabOptions = {}): Promise<BridgeLab> {
    const lab = new BridgeLab(hosts, options);
    lab.takeLock();
    try {
      lab.removeLeftovers();
      mustRun('ip', ['link', 'add', lab.bridge, 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
      disableIpv6Here(lab.bridge);
      mustRun('ip', ['link', 'set', lab.bridge, 'up']);
      for (const h of lab.hosts.values()) {
        mustRun('ip', ['netns', 'add', h.netns]);
        // New links inherit "default": eth0 is born with IPv6 off, so it never sends DAD or MLD.
        mustRun('ip', ['netns', 'exec', h.netns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.all.disable_ipv6=1']);
        mustRun('ip', ['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns]);
        disableIpv6Here(h.veth);
        mustRun('ip', ['link', 'set', h.veth, 'master', lab.bridge]);
        mustRun('ip', ['link', 'set', h.veth, 'up']);
        mustRun('ip', ['-n', h.netns, 'link', 'set', 'lo', 'up']);
        mustRun('ip', ['-n', h.netns, 'addr', 'add', `${h.address}/${LAB_PREFIX_LENGTH}`, 'dev', 'eth0']);
        mustRun('ip', ['-n', h.netns, 'link', 'set', 'eth0', 'up']);
      }
      // The bridge forwards once its ports are up (no STP: no listening/learning delay).
      for (let i = 0; i < 100; i++) {
        const down = [...lab.hosts.values()].filter((h) => !mustRun('ip', ['-br', 'link', 'show', 'dev', h.veth]).includes('UP'));
        if (down.length === 0) break;
        await sleep(50);
      }
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no lab host "${name}" (hosts: ${[...this.hosts.keys()].join(', ')})`);
    return h;
  }

  /** Runs a command to completion inside a host's namespace (blocks the event loop). */
  exec(host: string, args: readonly string[], options: ExecOptions = {}): ExecResult {
    return runSync('ip', ['netns', 'exec', this.host(host).netns, ...args], options);
  }

  /** Runs a command to completion inside a host's namespace, asynchronously. */
  async run(host: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const bg = this.track(spawn('ip', ['netns', 'exec', this.host(host).netns, ...args], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] }), `${host}: ${args.join(' ')}`);
    bg.child.stdin!.on('error', () => undefined);
    bg.child.stdin!.end(options.input ?? '');
    const timer = setTimeout(() => bg.child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const { code, signal } = await bg.exited;
      return { status: code, signal, stdout: bg.stdout, stderr: bg.stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a long-running command inside a host's namespace; destroy() ends it. */
  spawn(host: string, args: readonly string[], options: { cwd?: string } = {}): Background {
    const child = spawn('ip', ['netns', 'exec', this.host(host).netns, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    return this.track(child, `${host}: ${args.join(' ')}`);
  }

  /** Starts a long-running command in the root namespace (the agent, Prometheus); destroy() ends it. */
  spawnRoot(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Background {
    const child = spawn(args[0], args.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    return this.track(child, args.join(' '));
  }

  /** Signals a process this lab started and waits for it (SIGKILL after `timeoutMs`). */
  async stop(bg: Background, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (bg.child.exitCode === null && bg.child.signalCode === null) bg.child.kill(signal);
    const timer = setTimeout(() => bg.child.kill('SIGKILL'), timeoutMs);
    try {
      return await bg.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until something in the host's namespace listens on `port`. */
  async waitListening(host: string, protocol: 'tcp' | 'udp', port: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.exec(host, ['ss', protocol === 'tcp' ? '-Hltn' : '-Hlun', `sport = :${port}`]);
      if (r.status === 0 && r.stdout.trim() !== '') return;
      await sleep(50);
    }
    throw new Error(`nothing listens on ${protocol}/${port} in ${this.host(host).netns}`);
  }

  /**
   * tcpdump on the bridge, in the root namespace, writing `file` (classic pcap, full frames,
   * immediate mode, packet-buffered): resolves once it captures.
   */
  async startTcpdump(file: string, args: readonly string[] = []): Promise<LabCapture> {
    const tcpdump = this.spawnRoot(['tcpdump', '-Z', 'root', '-n', '-s', '262144', '--immediate-mode', '-U', '-i', this.bridge, ...args, '-w', file]);
    for (let i = 0; !tcpdump.stderr.includes('listening on'); i++) {
      if (tcpdump.child.exitCode !== null || tcpdump.child.signalCode !== null) throw new Error(`tcpdump exited before capturing: ${tcpdump.stderr}`);
      if (i === 200) throw new Error(`tcpdump did not start capturing: ${tcpdump.stderr}`);
      await sleep(50);
    }
    return {
      file,
      stop: async () => {
        await this.stop(tcpdump);
        return tcpdump.stderr;
      },
    };
  }

  /** Ends every process the lab started, anything else left in its namespaces, then removes it all. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const running = [...this.children].filter((bg) => bg.child.exitCode === null && bg.child.signalCode === null);
    for (const bg of running) bg.child.kill('SIGTERM');
    const all = Promise.all(running.map((bg) => bg.exited));
    const timedOut = await Promise.race([all.then(() => false), sleep(5_000).then(() => true)]);
    if (timedOut) {
      for (const bg of running) bg.child.kill('SIGKILL');
      await Promise.race([all, sleep(2_000)]);
    }
    this.removeLeftovers();
    this.releaseLock();
  }

  private track(child: ChildProcess, command: string): Background {
    const bg: Background = {
      child,
      command,
      stdout: '',
      stderr: '',
      exited: new Promise((resolve) => {
        child.once('close', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: null, signal: null }));
      }),
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      if (bg.stdout.length < OUTPUT_LIMIT) bg.stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (bg.stderr.length < OUTPUT_LIMIT) bg.stderr += chunk.toString('utf8');
    });
    this.children.add(bg);
    void bg.exited.then(() => this.children.delete(bg));
    return bg;
  }

  /**
   * Removes this lab's namespaces (every one with the prefix, and whatever still runs in them),
   * root-side veths and the bridge. Only names of this lab are touched.
   */
  private removeLeftovers(): void {
    const namespaces = runSync('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '' && n.startsWith(this.prefix));
    for (const ns of namespaces) {
      for (const pid of runSync('ip', ['netns', 'pids', ns]).stdout.split('\n').filter((l) => l !== '')) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      runSync('ip', ['netns', 'del', ns]);
    }
    const links = runSync('ip', ['-o', 'link', 'show']).stdout.split('\n');
    for (const line of links) {
      const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
      if (name !== undefined && (name === this.bridge || name.startsWith(`${this.bridge}-`))) runSync('ip', ['link', 'del', name]);
    }
  }

  private takeLock(): void {
    if (existsSync(this.lockFile)) {
      const pid = Number(readFileSync(this.lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`bridge ${this.bridge} is in use by process ${pid} (${this.lockFile}); give this lab another bridge and prefix`);
      }
    }
    writeFileSync(this.lockFile, `${process.pid}\n`);
  }

  private releaseLock(): void {
    try {
      if (Number(readFileSync(this.lockFile, 'utf8').trim()) === process.pid) rmSync(this.lockFile, { force: true });
    } catch {
      // no lock
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
