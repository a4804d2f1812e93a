/**
 * A node with pods, for the eBPF engine's kernel tests. Everything is named `fa-e*` and uses
 * 10.237.0.0/16, which no other test uses:
 *
 *   root namespace (the node): bridge fa-e-br 10.237.1.1/24, forwarding on
 *     fa-e-b1h, fa-e-b2h  on the bridge: pods fa-e-b1 (10.237.1.11) and fa-e-b2 (10.237.1.12)
 *     fa-e-r1h, fa-e-r2h  routed veths (Calico's way: /32 routes, proxy ARP): pods fa-e-r1
 *                         (10.237.2.11) and fa-e-r2 (10.237.2.12)
 *     fa-e-outh 10.237.9.1/24  to fa-e-out (10.237.9.2), a namespace standing for the outside
 *
 * IPv6 is off everywhere so captures hold only the tests' traffic (and ARP). Each pod's interface
 * is eth0. The bridge pods' eth0 has an MTU of 300 and sends no multi-segment GSO packet, so a TLS
 * ClientHello and the server's flight span several TCP segments, as with post-quantum key shares. destroy() ends what the lab started and removes every link and namespace it made,
 * and puts net.ipv4.ip_forward back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';

export const NODE_BRIDGE_ADDRESS = '10.237.1.1';
export const OUTSIDE_ADDRESS = '10.237.9.2';
export const PODS = {
  b1: { netns: 'fa-e-b1', veth: 'fa-e-b1h', address: '10.237.1.11', routed: false },
  b2: { netns: 'fa-e-b2', veth: 'fa-e-b2h', address: '10.237.1.12', routed: false },
  r1: { netns: 'fa-e-r1', veth: 'fa-e-r1h', address: '10.237.2.11', routed: true },
  r2: { netns: 'fa-e-r2', veth: 'fa-e-r2h', address: '10.237.2.12', routed: true },
  out: { netns: 'fa-e-out', veth: 'fa-e-outh', address: OUTSIDE_ADDRESS, routed: false },
} as const;
export type PodName = keyof typeof PODS;

const FORWARDING = '/proc/sys/net/ipv4/ip_forward';

export function run(cmd: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function mustRun(cmd: string, args: readonly string[]): string {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

function setSysctl(path: string, value: string): void {
  if (existsSync(path)) writeFileSync(path, `${value}\n`);
}

/** Creates a veth pair: `hostName` in the root namespace, eth0 in `netns`, both with IPv6 off. */
export function addPodVeth(netns: string, hostName: string): void {
  mustRun('ip', ['link', 'add', hostName, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  setSysctl(`/proc/sys/net/ipv6/conf/${hostName}/disable_ipv6`, '1');
}

export class PodLab {
  private readonly children = new Set<ChildProcess>();
  private forwardingBefore = '0';

  static async create(): Promise<PodLab> {
    const lab = new PodLab();
    PodLab.removeLeftovers();
    lab.forwardingBefore = readFileSync(FORWARDING, 'utf8').trim();
    try {
      mustRun('ip', ['link', 'add', 'fa-e-br', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
      setSysctl('/proc/sys/net/ipv6/conf/fa-e-br/disable_ipv6', '1');
      mustRun('ip', ['addr', 'add', `${NODE_BRIDGE_ADDRESS}/24`, 'dev', 'fa-e-br']);
      mustRun('ip', ['link', 'set', 'fa-e-br', 'up']);
      for (const pod of Object.values(PODS)) {
        mustRun('ip', ['netns', 'add', pod.netns]);
        mustRun('ip', ['netns', 'exec', pod.netns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.all.disable_ipv6=1']);
        addPodVeth(pod.netns, pod.veth);
        mustRun('ip', ['-n', pod.netns, 'link', 'set', 'lo', 'up']);
        mustRun('ip', ['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
        mustRun('ip', ['link', 'set', pod.veth, 'up']);
      }
      for (const pod of [PODS.b1, PODS.b2]) {
        mustRun('ip', ['-n', pod.netns, 'link', 'set', 'dev', 'eth0', 'mtu', '300']);
        mustRun('ip', ['-n', pod.netns, 'link', 'set', 'dev', 'eth0', 'gso_max_segs', '1']);
        mustRun('ip', ['link', 'set', pod.veth, 'master', 'fa-e-br']);
        mustRun('ip', ['-n', pod.netns, 'addr', 'add', `${pod.address}/24`, 'dev', 'eth0']);
        mustRun('ip', ['-n', pod.netns, 'route', 'add', 'default', 'via', NODE_BRIDGE_ADDRESS]);
      }
      for (const pod of [PODS.r1, PODS.r2]) {
        setSysctl(`/proc/sys/net/ipv4/conf/${pod.veth}/proxy_arp`, '1');
        mustRun('ip', ['route', 'add', `${pod.address}/32`, 'dev', pod.veth]);
        mustRun('ip', ['-n', pod.netns, 'addr', 'add', `${pod.address}/32`, 'dev', 'eth0']);
        mustRun('ip', ['-n', pod.netns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
        mustRun('ip', ['-n', pod.netns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
      }
      mustRun('ip', ['addr', 'add', '10.237.9.1/24', 'dev', PODS.out.veth]);
      mustRun('ip', ['-n', PODS.out.netns, 'addr', 'add', `${OUTSIDE_ADDRESS}/24`, 'dev', 'eth0']);
      mustRun('ip', ['-n', PODS.out.netns, 'route', 'add', '10.237.0.0/16', 'via', '10.237.9.1']);
      writeFileSync(FORWARDING, '1\n');
      await waitFor(() => Object.values(PODS).every((p) => mustRun('ip', ['-br', 'link', 'show', 'dev', p.veth]).includes('UP')), 'the lab links to come up');
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Runs a command to completion in a pod's namespace. */
  exec(pod: PodName, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
    return run('ip', ['netns', 'exec', PODS[pod].netns, ...args], input);
  }

  /** Starts a long-running process in a pod's namespace (or the node's, for 'node'); destroy() ends it. */
  spawn(where: PodName | 'node', args: readonly string[]): ChildProcess {
    const argv = where === 'node' ? args : ['ip', 'netns', 'exec', PODS[where].netns, ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.resume();
    child.stderr!.resume();
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async waitListening(where: PodName | 'node', protocol: 'tcp' | 'udp', port: number): Promise<void> {
    const ss = ['ss', protocol === 'tcp' ? '-Hltn' : '-Hlun', `sport = :${port}`];
    await waitFor(() => (where === 'node' ? run(ss[0], ss.slice(1)) : this.exec(where, ss)).stdout.trim() !== '', `${protocol}/${port} listening in ${where}`);
  }

  /** Starts tcpdump on eth0 of a pod (destroy() ends it), resolved once it captures. */
  async tcpdump(pod: PodName, file: string): Promise<Tcpdump> {
    const capture = await startTcpdump(PODS[pod].netns, file);
    this.children.add(capture.child);
    return capture;
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.children].map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    PodLab.removeLeftovers();
    writeFileSync(FORWARDING, `${this.forwardingBefore}\n`);
  }

  /** Removes every fa-e* namespace and link (an earlier run's, or this one's). */
  static removeLeftovers(): void {
    for (const ns of run('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith('fa-e-'))) {
      for (const pid of run('ip', ['netns', 'pids', ns]).stdout.split('\n').filter((l) => l !== '')) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      run('ip', ['netns', 'del', ns]);
    }
    for (const link of faLinks()) run('ip', ['link', 'del', link]);
  }
}

export interface Tcpdump {
  readonly child: ChildProcess;
  /** SIGTERM: tcpdump flushes and closes the file. */
  stop(): Promise<void>;
}

/** Starts tcpdump on eth0 of `netns` writing `file`, resolved once it captures. */
export async function startTcpdump(netns: string, file: string): Promise<Tcpdump> {
  const child = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-Z', 'root', '-n', '-s', '262144', '--immediate-mode', '-U', '-i', 'eth0', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  child.stderr!.on('data', (c: Buffer) => (said += c.toString()));
  await waitFor(() => said.includes('listening on') || child.exitCode !== null, `tcpdump in ${netns}`);
  if (child.exitCode !== null) throw new Error(`tcpdump in ${netns} exited: ${said}`);
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Names of the root namespace's fa-e* links. */
export function faLinks(): string[] {
  return run('ip', ['-o', 'link', 'show']).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith('fa-e-'));
}

export async function waitFor(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
