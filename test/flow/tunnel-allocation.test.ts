import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETHERTYPE, ethernet, ipv4, tcp, TCP_FLAGS } from '../../src/frame-builder.js';
import { ensureCliBuilt, REPO_ROOT } from '../support/tshark.js';
import {
  erspanIIHeader, ETHERTYPE_ERSPAN_II, greHeader, gtpuHeader, ipBetweenNodes, udpBetweenNodes, vxlanHeader,
} from '../support/tunnel-wrap.js';

const PACKETS = 300_000;
const pod = (sport: number) => ipv4({ src: '10.244.1.5', dst: '10.244.2.9', protocol: 6, payload: tcp({ srcPort: sport, dstPort: 8443, flags: TCP_FLAGS.ACK, payload: Buffer.alloc(100) }) });
const podFrame = (sport: number) => ethernet(pod(sport), { etherType: ETHERTYPE.Ipv4 });

/** One frame of each kind: plain, VXLAN, GTP-U, and VXLAN inside an ERSPAN mirror (two tunnels deep). */
const FRAMES = [
  podFrame(40000),
  udpBetweenNodes(4789, Buffer.concat([vxlanHeader(42), podFrame(40001)])),
  udpBetweenNodes(2152, Buffer.concat([gtpuHeader(7, pod(40002).length), pod(40002)]), 2152),
  ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II, sequence: 1 }), erspanIIHeader(3), udpBetweenNodes(4789, Buffer.concat([vxlanHeader(43), podFrame(40003)]))])),
];

describe('the per-packet path with tunnels', () => {
  it(`allocates nothing: ${PACKETS} plain and tunnel packets grow the heap by less than a byte each, with no collection`, () => {
    ensureCliBuilt();
    const probe = join(REPO_ROOT, 'test/fixtures/tunnel-alloc-probe.mjs');
    const options = { dist: join(REPO_ROOT, 'dist'), frames: FRAMES.map((f) => f.toString('hex')), warmUp: 200_000, packets: PACKETS };
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=64', probe, JSON.stringify(options)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { heapGrowth: number; gcs: number; tunnels: { decapsulated: Record<string, number> }; packets: number };
    // Every frame was decapsulated as built: 1 + 2 + 2 + 3 packets per round of 4 frames.
    expect(result.tunnels.decapsulated).toEqual({ vxlan: 250_000, 'gtp-u': 125_000, erspan: 125_000 });
    expect(result.gcs).toBe(0);
    expect(result.heapGrowth).toBeLessThan(PACKETS);
  });
});
