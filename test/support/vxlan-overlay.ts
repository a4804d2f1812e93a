/**
 * A VXLAN overlay between two network namespaces, as flannel or Calico build one between nodes:
 * namespaces fa-t-node-a and fa-t-node-b (the "nodes") joined by a veth pair fa-t-u0 (the
 * underlay, 10.209.0.1/.2, IPv4 only), each with a VXLAN device fa-t-vx0 (VNI 42, UDP 4789)
 * carrying the "pods'" addresses 10.210.0.1/.2 and fd00:210::1/::2. A capture on fa-t-u0 sees
 * the encapsulated traffic, one on fa-t-vx0 the same traffic as the pods send it. Traffic never
 * leaves the pair.
 *
 * Segmentation offload is turned off (gso_max_segs 1) so that both captures see packets as they
 * are on the wire, not the larger buffers the kernel hands between its layers.
 */
import { spawnSync } from 'node:child_process';
import { NamespacePair, sleep } from './netns.js';
import { missingTools } from './tshark.js';

/** The pair's "server" side is node B, its "client" side node A. */
export const NODE_A = 'fa-t-node-a';
export const NODE_B = 'fa-t-node-b';
export const UNDERLAY_A = '10.209.0.1';
export const UNDERLAY_B = '10.209.0.2';
export const POD_A = '10.210.0.1';
export const POD_B = '10.210.0.2';
export const POD_A_V6 = 'fd00:210::1';
export const POD_B_V6 = 'fd00:210::2';
export const VNI = 42;
export const UNDERLAY_DEVICE = 'fa-t-u0';
export const VXLAN_DEVICE = 'fa-t-vx0';

function run(args: readonly string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(args: readonly string[]): string {
  const r = run(args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Null if the overlay can be built here (root, the tools, a namespace with a VXLAN device), else why not. */
export function vxlanOverlayUnavailable(extraTools: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, tcpdump)';
  const tools = missingTools(['ip', 'tcpdump', 'tshark', ...extraTools]);
  if (tools !== null) return tools;
  const probe = `fa-t-probe-${process.pid}`;
  const added = run(['netns', 'add', probe]);
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  try {
    const vxlan = run(['-n', probe, 'link', 'add', 'fa-t-vxp', 'type', 'vxlan', 'id', '1', 'dstport', '4789', 'local', '127.0.0.1']);
    return vxlan.status === 0 ? null : `cannot create a VXLAN device: ${vxlan.stderr.trim()}`;
  } finally {
    run(['netns', 'del', probe]);
  }
}

/** Builds the overlay (after removing an earlier run's leftovers); destroy() of the pair removes it. */
export async function createVxlanOverlay(): Promise<NamespacePair> {
  const pair = NamespacePair.adopt(NODE_B, NODE_A);
  await pair.destroy();
  try {
    mustRun(['netns', 'add', NODE_A]);
    mustRun(['netns', 'add', NODE_B]);
    mustRun(['-n', NODE_A, 'link', 'add', UNDERLAY_DEVICE, 'type', 'veth', 'peer', 'name', UNDERLAY_DEVICE, 'netns', NODE_B]);
    for (const [ns, underlay, peer, pod, pod6] of [
      [NODE_A, UNDERLAY_A, UNDERLAY_B, POD_A, POD_A_V6],
      [NODE_B, UNDERLAY_B, UNDERLAY_A, POD_B, POD_B_V6],
    ] as const) {
      mustRun(['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${UNDERLAY_DEVICE}.disable_ipv6=1`]);
      mustRun(['-n', ns, 'link', 'set', 'lo', 'up']);
      mustRun(['-n', ns, 'addr', 'add', `${underlay}/24`, 'dev', UNDERLAY_DEVICE]);
      mustRun(['-n', ns, 'link', 'set', UNDERLAY_DEVICE, 'gso_max_segs', '1', 'up']);
      mustRun(['-n', ns, 'link', 'add', VXLAN_DEVICE, 'type', 'vxlan', 'id', String(VNI), 'dstport', '4789', 'local', underlay, 'remote', peer, 'dev', UNDERLAY_DEVICE]);
      mustRun(['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${VXLAN_DEVICE}.router_solicitations=0`]);
      mustRun(['-n', ns, 'addr', 'add', `${pod}/24`, 'dev', VXLAN_DEVICE]);
      mustRun(['-n', ns, 'addr', 'add', `${pod6}/64`, 'dev', VXLAN_DEVICE, 'nodad']);
      mustRun(['-n', ns, 'link', 'set', VXLAN_DEVICE, 'gso_max_segs', '1', 'up']);
    }
    // Link-local duplicate address detection (and its MLD reports) before anyone captures.
    for (let i = 0; i < 50; i++) {
      const tentative = [NODE_A, NODE_B].map((ns) => mustRun(['-n', ns, '-6', 'addr', 'show', 'dev', VXLAN_DEVICE, 'tentative'])).join('');
      if (tentative.trim() === '') break;
      await sleep(100);
    }
  } catch (err) {
    await pair.destroy();
    throw err;
  }
  return pair;
}
