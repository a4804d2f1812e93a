/**
 * Real pod-to-pod traffic over a real VXLAN overlay (test/support/vxlan-overlay.ts): HTTP, HTTPS
 * and TLS over IPv4 and IPv6 between the "pods", recorded at once on node A's underlay (the
 * encapsulated packets, as a capture on a Kubernetes node's eth0 sees them) and on its VXLAN
 * device (the same packets as the pods sent them). The flows flowaudit finds inside the tunnel
 * must be the flows of the overlay capture, and tshark's conversations of the underlay capture.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationPairs, flowPairs } from '../support/conversation-pairs.js';
import type { NamespacePair } from '../support/netns.js';
import { serveHello, stopCaptures } from '../support/namespace-web.js';
import { comparableFlow, flowauditFlows, gate, sortShapes, tsharkConversations, type CliFlow } from '../support/tshark.js';
import {
  createVxlanOverlay, POD_A, POD_A_V6, POD_B, POD_B_V6, UNDERLAY_A, UNDERLAY_B, UNDERLAY_DEVICE, VNI, VXLAN_DEVICE, vxlanOverlayUnavailable,
} from '../support/vxlan-overlay.js';
import { newTempDir } from '../support/temp-dir.js';

const unavailable = vxlanOverlayUnavailable(['curl', 'openssl', 'python3', 'ss']);
const live = gate(unavailable);

type TunnelFlow = CliFlow & { tunnel?: { type: string; vni: number; outer_client: string; outer_server: string }; encapsulates?: string };
interface FlowsOutput {
  flows: TunnelFlow[];
  tunnels: { decapsulated: Record<string, number>; notDecoded: Record<string, number> };
}

describe('flows inside a real VXLAN overlay', () => {
  let pair: NamespacePair | undefined;
  let dir: string | undefined;
  let underlay = '';
  let overlay = '';

  beforeAll(async () => {
    if (unavailable !== null) return;
    dir = newTempDir('t-vxlan').path;
    pair = await createVxlanOverlay();
    await serveHello(pair, dir, 'hello from a pod behind VXLAN\n', 'pod.overlay.example');

    underlay = join(dir, 'underlay.pcap');
    overlay = join(dir, 'overlay.pcap');
    const captures = [await pair.startTcpdump('client', underlay, ['-i', UNDERLAY_DEVICE]), await pair.startTcpdump('client', overlay, ['-i', VXLAN_DEVICE])];
    const curl = ['curl', '--silent', '--noproxy', '*', '--max-time', '5', '--output', '/dev/null'];
    const ok = (what: string, r: { status: number | null; stderr: string }) => {
      if (r.status !== 0) throw new Error(`${what}: exit ${r.status}: ${r.stderr}`);
    };
    ok('curl http v4', pair.exec('client', [...curl, `http://${POD_B}:8080/hello.txt`]));
    ok('curl http v6', pair.exec('client', [...curl, `http://[${POD_B_V6}]:8080/hello.txt`]));
    ok('curl https', pair.exec('client', [...curl, '--insecure', '--http1.1', `https://${POD_B}:8443/hello.txt`]));
    ok('openssl s_client', pair.exec('client', ['openssl', 's_client', '-quiet', '-connect', `${POD_B}:8443`, '-servername', 'pod.overlay.example'], 'GET /hello.txt HTTP/1.0\r\n\r\n'));
    await stopCaptures(captures);
  }, 60_000);

  afterAll(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const flows = (file: string) => flowauditFlows([file]) as unknown as FlowsOutput;

  it.skipIf(live.skip)(`the flows inside the underlay's tunnel are the overlay capture's flows${live.suffix}`, () => {
    live.assertAvailable();
    // TCP only: the two tcpdumps stop one after the other, so a neighbour discovery or MLD packet
    // the pods send in between is in one capture and not the other (seen on a loaded machine).
    const inner = flows(underlay).flows.filter((f) => f.tunnel !== undefined && f.protocol === 'tcp');
    const seen = flows(overlay).flows.filter((f) => f.protocol === 'tcp');
    expect(sortShapes(inner.map(comparableFlow))).toEqual(sortShapes(seen.map(comparableFlow)));
    const initiators = (list: CliFlow[]) => list.map((f) => `${f.protocol} ${f.client.address}:${f.client.port} ${f.initiatorEvidence}`).sort();
    expect(initiators(inner)).toEqual(initiators(seen));
    // The connections we made: four TCP connections opened by pod A, over IPv4 and IPv6.
    expect(inner.map((f) => `${f.client.address} ${f.server.address}:${f.server.port} ${f.initiatorEvidence} ${f.tcpState}`).sort()).toEqual([
      `${POD_A} ${POD_B}:8080 syn closed`,
      `${POD_A} ${POD_B}:8443 syn closed`,
      `${POD_A} ${POD_B}:8443 syn closed`,
      `${POD_A_V6} ${POD_B_V6}:8080 syn closed`,
    ]);
    for (const f of inner) expect(f.tunnel).toEqual({ type: 'vxlan', vni: VNI, outer_client: UNDERLAY_A, outer_server: UNDERLAY_B });
  });

  it.skipIf(live.skip)(`the underlay still shows the tunnel itself: UDP flows between the nodes, carrying VXLAN${live.suffix}`, () => {
    live.assertAvailable();
    const { flows: all, tunnels } = flows(underlay);
    const outer = all.filter((f) => f.tunnel === undefined);
    expect(outer.length).toBeGreaterThan(0);
    for (const f of outer) {
      expect(f).toMatchObject({ protocol: 'udp', server: { port: 4789 }, encapsulates: 'vxlan' });
      expect([f.client.address, f.server.address].sort()).toEqual([UNDERLAY_A, UNDERLAY_B]);
    }
    const packets = (list: CliFlow[]) => list.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0);
    expect(tunnels.decapsulated.vxlan).toBe(packets(outer));
    // ARP between the pods rides the tunnel too: what is not IP inside it is counted, not lost.
    expect(tunnels.decapsulated.vxlan - packets(all.filter((f) => f.tunnel !== undefined))).toBe(tunnels.notDecoded['not-ip'] ?? 0);
  });

  it.skipIf(live.skip)(`flowaudit's TCP and UDP flows of the underlay, inner and outer, are tshark's conversations${live.suffix}`, () => {
    live.assertAvailable();
    const all = flows(underlay).flows;
    for (const protocol of ['tcp', 'udp'] as const) {
      expect(flowPairs(all.filter((f) => f.protocol === protocol)), protocol).toEqual(conversationPairs(tsharkConversations(underlay, protocol)));
    }
  });
});
