/**
 * The bundled capture's real frames, each wrapped in an overlay tunnel as a node would send it
 * (this kernel has no Geneve, IPIP, GRE or GTP-U drivers to make such traffic live): flowaudit's
 * inner flows must be the flows of the unwrapped capture, and agree with tshark's dissection of
 * the same wrapped file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETHERTYPE, LINKTYPE } from '../../src/frame-builder.js';
import { pcapFile, type PcapRecord } from '../support/capture-writer.js';
import { conversationPairs, endpointText, flowPairs, pairKey } from '../support/conversation-pairs.js';
import {
  CAPTURE_DIR, comparableFlow, ensureCliBuilt, flowauditFlows, gate, REPO_ROOT, missingTools, sortShapes, tsharkConversations, type CliFlow, type CliFlowsOutput,
} from '../support/tshark.js';
import {
  erspanIIHeader, erspanIIIHeader, ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_TEB, geneveHeader, geneveOption, greHeader,
  GTP_PDU_SESSION_CONTAINER, gtpuHeader, ipBetweenNodes, NODE_A, NODE_A_V6, NODE_B, NODE_B_V6, udpBetweenNodes, vxlanHeader,
} from '../support/tunnel-wrap.js';
import { newTempDir } from '../support/temp-dir.js';

const tools = gate(missingTools(['tshark']));
const SOURCE = join(CAPTURE_DIR, 'traffic.pcap');
/** The server side of the bundled traffic: its packets leave from node B. */
const SERVER_ADDRESSES = new Set(['10.203.0.1', 'fd00:203::1']);

interface Frame {
  readonly seconds: number;
  readonly micros: number;
  readonly data: Buffer;
}

/** The Ethernet frames of the bundled capture (classic little-endian microsecond pcap). */
function sourceFrames(): Frame[] {
  const file = readFileSync(SOURCE);
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(file.readUInt32LE(20)).toBe(LINKTYPE.Ethernet);
  const frames: Frame[] = [];
  for (let at = 24; at < file.length; ) {
    const length = file.readUInt32LE(at + 8);
    frames.push({ seconds: file.readUInt32LE(at), micros: file.readUInt32LE(at + 4), data: file.subarray(at + 16, at + 16 + length) });
    at += 16 + length;
  }
  return frames;
}

const etherType = (frame: Buffer): number => frame.readUInt16BE(12);
const ipPacket = (frame: Buffer): Buffer => frame.subarray(14);
/** Whether a frame leaves from the server's node (B) rather than the client's (A). */
function fromServer(frame: Buffer): boolean {
  const ip = ipPacket(frame);
  const src = etherType(frame) === ETHERTYPE.Ipv4 ? [...ip.subarray(12, 16)].join('.') : ipv6Text(ip.subarray(8, 24));
  return SERVER_ADDRESSES.has(src);
}
function ipv6Text(b: Buffer): string {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

interface Wrapping {
  readonly name: string;
  /** The tunnel flowaudit names on the inner flows. */
  readonly tunnel: string;
  /** Wraps one frame; null when the tunnel cannot carry it (ARP in an IP-only tunnel). */
  readonly wrap: (frame: Buffer, reverse: boolean) => Buffer | null;
  /** flowaudit options the file needs. */
  readonly args?: readonly string[];
  /** Whether tshark dissects the file as it comes (a non-default port it would not). */
  readonly tshark: boolean;
}

const isIp = (frame: Buffer) => etherType(frame) === ETHERTYPE.Ipv4 || etherType(frame) === ETHERTYPE.Ipv6;
const ipOnly = (wrap: (ip: Buffer, version: 4 | 6, reverse: boolean) => Buffer) => (frame: Buffer, reverse: boolean) =>
  isIp(frame) ? wrap(ipPacket(frame), etherType(frame) === ETHERTYPE.Ipv4 ? 4 : 6, reverse) : null;
const udpPort = (reverse: boolean) => (reverse ? 49153 : 49152);

const WRAPPINGS: readonly Wrapping[] = [
  { name: 'VXLAN', tunnel: 'vxlan', tshark: true, wrap: (f, r) => udpBetweenNodes(4789, Buffer.concat([vxlanHeader(4242), f]), udpPort(r), r) },
  { name: 'VXLAN on flannel\'s port 8472 (--vxlan-port)', tunnel: 'vxlan', tshark: false, args: ['--vxlan-port', '8472'], wrap: (f, r) => udpBetweenNodes(8472, Buffer.concat([vxlanHeader(1), f]), udpPort(r), r) },
  { name: 'Geneve with options', tunnel: 'geneve', tshark: true, wrap: (f, r) => udpBetweenNodes(6081, Buffer.concat([geneveHeader(77, ETHERTYPE_TEB, geneveOption(Buffer.alloc(8, 3))), f]), udpPort(r), r) },
  { name: 'IP-in-IP over IPv4 (protocols 4 and 41)', tunnel: 'ip-in-ip', tshark: true, wrap: ipOnly((ip, v, r) => ipBetweenNodes(v === 4 ? 4 : 41, ip, 4, r)) },
  { name: 'IP-in-IP over IPv6', tunnel: 'ip-in-ip', tshark: true, wrap: ipOnly((ip, v, r) => ipBetweenNodes(v === 4 ? 4 : 41, ip, 6, r)) },
  { name: 'GRE with checksum, key and sequence', tunnel: 'gre', tshark: true, wrap: ipOnly((ip, v, r) => ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: v === 4 ? ETHERTYPE.Ipv4 : ETHERTYPE.Ipv6, checksum: true, key: 7, sequence: 1 }), ip]), 4, r)) },
  { name: 'GRE Transparent Ethernet Bridging', tunnel: 'gre', tshark: true, wrap: (f, r) => ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_TEB, key: 8 }), f]), 4, r) },
  { name: 'ERSPAN type II', tunnel: 'erspan', tshark: true, wrap: (f, r) => ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II, sequence: 1 }), erspanIIHeader(100), f]), 4, r) },
  { name: 'ERSPAN type III', tunnel: 'erspan', tshark: true, wrap: (f, r) => ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_III, sequence: 1 }), erspanIIIHeader(200), f]), 4, r) },
  { name: 'GTP-U with an extension header', tunnel: 'gtp-u', tshark: true, wrap: ipOnly((ip, _v, r) => udpBetweenNodes(2152, Buffer.concat([gtpuHeader(0x1000 + (r ? 1 : 0), ip.length, { sequence: 1, extensions: [GTP_PDU_SESSION_CONTAINER] }), ip]), 2152, r)) },
];

type TunnelFlow = CliFlow & { tunnel?: { type: string; outer_client: string; outer_server: string }; encapsulates?: string };

describe('flows inside tunnels wrapped around the bundled capture', () => {
  const frames = sourceFrames();
  const plain = flowauditFlows([SOURCE]).flows;
  const dir = newTempDir('tunnels').path;

  describe.each(WRAPPINGS)('$name', (w) => {
    const kept = frames.flatMap((f) => {
      const reverse = fromServer(f.data);
      const data = w.wrap(f.data, reverse);
      return data === null ? [] : [{ seconds: f.seconds, fraction: f.micros, data } satisfies PcapRecord];
    });
    const file = join(dir, `${w.tunnel}-${WRAPPINGS.indexOf(w)}.pcap`);
    writeFileSync(file, pcapFile({ endian: 'le', linkType: LINKTYPE.Ethernet }, kept));
    const run = () => flowauditFlows([file], w.args ?? []) as unknown as { flows: TunnelFlow[]; decode: Record<string, number>; tunnels: CliFlowsOutput['tunnels'] };

    it('its inner flows are the capture\'s own flows: addresses, ports, packets, bytes, initiator', () => {
      const { flows, tunnels } = run();
      const inner = flows.filter((f) => f.tunnel !== undefined);
      // ARP frames are no flow: the IP-only tunnels leave them out, the same flows either way.
      const expected = plain;
      expect(sortShapes(inner.map(comparableFlow))).toEqual(sortShapes(expected.map(comparableFlow)));
      expect(inner.map((f) => f.initiatorEvidence).sort()).toEqual(expected.map((f) => f.initiatorEvidence).sort());
      for (const f of inner) {
        expect(f.tunnel!.type).toBe(w.tunnel);
        // The client side of the bundled traffic is on node A.
        expect([f.tunnel!.outer_client, f.tunnel!.outer_server]).toEqual(SERVER_ADDRESSES.has(f.client.address) ? [NODE_B, NODE_A].map(v6(w)) : [NODE_A, NODE_B].map(v6(w)));
      }
      expect(tunnels.decapsulated).toEqual({ [w.tunnel]: kept.length });
      // ARP frames (not IP) ride Ethernet tunnels and are counted as not decoded inside them.
      expect(tunnels.notDecoded).toEqual(kept.length === frames.length ? { 'not-ip': frames.length - frames.filter((f) => isIp(f.data)).length } : {});
    });

    it('its outer flows are still reported, between the nodes, marked with the tunnel they carry', () => {
      const outer = run().flows.filter((f) => f.tunnel === undefined);
      expect(outer.length).toBeGreaterThan(0);
      expect(outer.every((f) => f.encapsulates === w.tunnel)).toBe(true);
      expect(outer.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0)).toBe(kept.length);
    });

    it('analyze audits the inner flows with their tunnel, and does not fail the audit for the tunnel itself', () => {
      ensureCliBuilt();
      const ndjson = join(dir, `${w.tunnel}-${WRAPPINGS.indexOf(w)}.ndjson`);
      const cli = join(REPO_ROOT, 'dist/bin/flowaudit.js');
      const r = spawnSync(process.execPath, [cli, 'analyze', file, '--rules', 'apigee-hybrid-1.4', '-q', '--output', ndjson, ...(w.args ?? [])], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(1); // the bundled traffic's pods match no Apigee component
      const lines = readFileSync(ndjson, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tunnel?: { type: string }; encapsulates?: string; verdict: string; reason: string });
      const inner = lines.filter((l) => l.tunnel !== undefined);
      const outer = lines.filter((l) => l.encapsulates !== undefined);
      expect(inner).toHaveLength(plain.length);
      expect(inner.every((l) => l.tunnel!.type === w.tunnel)).toBe(true);
      expect(outer.length + inner.length).toBe(lines.length);
      for (const l of outer) expect([l.encapsulates, l.verdict, l.reason.startsWith(`overlay tunnel (${w.tunnel})`)]).toEqual([w.tunnel, 'ignored', true]);
    });

    // tshark dissects a non-default port as plain UDP: those wrappings are held to flowaudit's own flows only.
    if (w.tshark) it.skipIf(tools.skip)(`its TCP and UDP flows, inner and outer, are tshark's conversations${tools.suffix}`, () => {
      tools.assertAvailable();
      const flows = run().flows;
      for (const protocol of ['tcp', 'udp'] as const) {
        const ours = flowPairs(flows.filter((f) => f.protocol === protocol));
        const theirs = conversationPairs(tsharkConversations(file, protocol));
        // tshark's conversations count a fragmented datagram once, when reassembled; flowaudit
        // counts each fragment (test/differential/streams.test.ts compares those): set them aside.
        for (const f of flows.filter((f) => f.protocol === protocol && f.laterFragments > 0)) {
          const key = pairKey(endpointText(f.client), endpointText(f.server));
          expect(theirs.has(key), key).toBe(true);
          ours.delete(key);
          theirs.delete(key);
        }
        expect(ours, protocol).toEqual(theirs);
      }
    });
  });
});

/** The outer addresses of a wrapping: IPv6 nodes for IP-in-IP over IPv6. */
function v6(w: Wrapping): (node: string) => string {
  return (node) => (w.name.endsWith('over IPv6') ? (node === NODE_A ? NODE_A_V6 : NODE_B_V6) : node);
}
