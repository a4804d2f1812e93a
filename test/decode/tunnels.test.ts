import { describe, expect, it } from 'vitest';
import { DecodeReason } from '../../src/decode/decode-reason.js';
import { formatAddress } from '../../src/net/ip-address.js';
import { MAX_TUNNEL_DEPTH, PacketDecoder } from '../../src/decode/packet-decoder.js';
import { TUNNEL_NAMES } from '../../src/decode/tunnel-header.js';
import { ETHERTYPE, ethernet, ipv4, ipv6, LINKTYPE, tcp, TCP_FLAGS, udp } from '../../src/frame-builder.js';
import {
  erspanIIHeader, erspanIIIHeader, ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_TEB, geneveHeader, geneveOption,
  greHeader, GTP_PDU_SESSION_CONTAINER, gtpuHeader, ipBetweenNodes, NODE_A, NODE_A_V6, NODE_B, NODE_B_V6, udpBetweenNodes, vxlanHeader,
} from '../support/tunnel-wrap.js';
import { FRAME_OFFSET } from './decode-frame.js';

const POD_A = '10.244.1.5';
const POD_B = '10.244.2.9';
const podPacket = (): Buffer => ipv4({ src: POD_A, dst: POD_B, protocol: 6, payload: tcp({ srcPort: 40000, dstPort: 8443, flags: TCP_FLAGS.SYN, seq: 77 }) });
const podFrame = (): Buffer => ethernet(podPacket(), { etherType: ETHERTYPE.Ipv4 });
const podPacket6 = (): Buffer => ipv6({ src: 'fd00:244::5', dst: 'fd00:244::9', protocol: 17, payload: udp({ srcPort: 5353, dstPort: 53 }) });

interface Seen {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tunnel: string;
  id: number | undefined;
  outer: [string, string] | undefined;
  encapsulates: string;
}

/** Every packet the decoder yields for one frame, outermost first, as PacketFlowSink takes them. */
function decodeAll(decoder: PacketDecoder, frame: Buffer, linkType: number = LINKTYPE.Ethernet): Seen[] {
  const seen: Seen[] = [];
  // Inside a larger buffer, as readers hand frames over: offsets are honoured, not assumed 0.
  const buffer = Buffer.concat([Buffer.alloc(FRAME_OFFSET, 0xa5), frame, Buffer.alloc(64, 0x5a)]);
  if (decoder.decode(buffer, FRAME_OFFSET, frame.length, linkType) !== DecodeReason.Ok) return seen;
  const p = decoder.packet;
  do {
    seen.push({
      src: formatAddress(p.src),
      dst: formatAddress(p.dst),
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      protocol: p.protocol,
      tunnel: TUNNEL_NAMES[p.tunnelType],
      id: p.tunnelHasId ? p.tunnelId >>> 0 : undefined,
      outer: p.tunnelType !== 0 ? [formatAddress(p.tunnelSrc), formatAddress(p.tunnelDst)] : undefined,
      encapsulates: TUNNEL_NAMES[p.encapsulates],
    });
  } while (decoder.decapsulate(buffer));
  return seen;
}

const innerSyn = { src: POD_A, dst: POD_B, srcPort: 40000, dstPort: 8443, protocol: 6 };

describe('PacketDecoder opens overlay tunnels', () => {
  it.each([
    ['VXLAN on 4789', udpBetweenNodes(4789, Buffer.concat([vxlanHeader(4242), podFrame()])), 'vxlan', 4242, 17],
    ['VXLAN on 8472 (flannel)', udpBetweenNodes(8472, Buffer.concat([vxlanHeader(1), podFrame()])), 'vxlan', 1, 17],
    ['Geneve with options', udpBetweenNodes(6081, Buffer.concat([geneveHeader(77, ETHERTYPE_TEB, Buffer.concat([geneveOption(Buffer.alloc(8, 1)), geneveOption(Buffer.alloc(4, 2))])), podFrame()])), 'geneve', 77, 17],
    ['Geneve carrying IPv4', udpBetweenNodes(6081, Buffer.concat([geneveHeader(78, ETHERTYPE.Ipv4), podPacket()])), 'geneve', 78, 17],
    ['IPv4 in IPv4', ipBetweenNodes(4, podPacket()), 'ip-in-ip', undefined, 4],
    ['GRE with checksum, key and sequence', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE.Ipv4, checksum: true, key: 0xfeedbeef, sequence: 9 }), podPacket()])), 'gre', 0xfeedbeef, 47],
    ['GRE without key', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE.Ipv4 }), podPacket()])), 'gre', undefined, 47],
    ['GRE Transparent Ethernet Bridging', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_TEB, key: 5 }), podFrame()])), 'gre', 5, 47],
    ['ERSPAN type I', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II }), podFrame()])), 'erspan', undefined, 47],
    ['ERSPAN type II', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II, sequence: 3 }), erspanIIHeader(100), podFrame()])), 'erspan', 100, 47],
    ['ERSPAN type III', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_III, sequence: 3 }), erspanIIIHeader(200), podFrame()])), 'erspan', 200, 47],
    ['ERSPAN type III with platform subheader', ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_III, sequence: 3 }), erspanIIIHeader(201, true), podFrame()])), 'erspan', 201, 47],
    ['GTP-U', udpBetweenNodes(2152, Buffer.concat([gtpuHeader(0xabcdef01, podPacket().length), podPacket()]), 2152), 'gtp-u', 0xabcdef01, 17],
    ['GTP-U with sequence and extension header', udpBetweenNodes(2152, Buffer.concat([gtpuHeader(7, podPacket().length, { sequence: 1, extensions: [GTP_PDU_SESSION_CONTAINER] }), podPacket()]), 2152), 'gtp-u', 7, 17],
  ])('%s: the inner packet is the pods\', the tunnel named with its id and the nodes', (_name, frame, tunnel, id, outerProtocol) => {
    const decoder = new PacketDecoder();
    const seen = decodeAll(decoder, frame);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ src: NODE_A, dst: NODE_B, protocol: outerProtocol, tunnel: 'none', encapsulates: tunnel });
    expect(seen[1]).toEqual({ ...innerSyn, tunnel, id, outer: [NODE_A, NODE_B], encapsulates: 'none' });
    expect(decoder.reasonCounts()).toEqual({ ok: 1 });
    expect(decoder.tunnelSummary()).toEqual({ decapsulated: { [tunnel]: 1 }, notDecoded: {} });
  });

  it('opens IPv6 in IPv4, IPv4 in IPv6 and IPv6 in IPv6 (protocols 41 and 4)', () => {
    const decoder = new PacketDecoder();
    const inner6 = { src: 'fd00:244::5', dst: 'fd00:244::9', srcPort: 5353, dstPort: 53, protocol: 17, tunnel: 'ip-in-ip' };
    expect(decodeAll(decoder, ipBetweenNodes(41, podPacket6()))[1]).toMatchObject({ ...inner6, outer: [NODE_A, NODE_B] });
    expect(decodeAll(decoder, ipBetweenNodes(4, podPacket(), 6))[1]).toMatchObject({ ...innerSyn, outer: [NODE_A_V6, NODE_B_V6] });
    expect(decodeAll(decoder, ipBetweenNodes(41, podPacket6(), 6))[1]).toMatchObject({ ...inner6, outer: [NODE_A_V6, NODE_B_V6] });
  });

  it('takes UDP tunnel ports from its options: a port not named is plain UDP', () => {
    const frame = udpBetweenNodes(9999, Buffer.concat([vxlanHeader(3), podFrame()]));
    expect(decodeAll(new PacketDecoder(), frame)).toHaveLength(1);
    const custom = new PacketDecoder({ vxlan: [9999], geneve: [], gtpU: [] });
    expect(decodeAll(custom, frame)[1]).toMatchObject({ ...innerSyn, tunnel: 'vxlan', id: 3 });
    expect(decodeAll(custom, udpBetweenNodes(4789, Buffer.concat([vxlanHeader(3), podFrame()])))).toHaveLength(1);
  });

  it('leaves plain traffic on a tunnel port alone: a VXLAN header without its I flag, a GTP-U echo', () => {
    const decoder = new PacketDecoder();
    expect(decodeAll(decoder, udpBetweenNodes(4789, Buffer.concat([Buffer.alloc(8), podFrame()])))).toHaveLength(1);
    const echo = Buffer.concat([Buffer.of(0x32, 1), Buffer.alloc(10)]);
    expect(decodeAll(decoder, udpBetweenNodes(2152, echo, 2152))).toHaveLength(1);
    expect(decoder.tunnelSummary()).toEqual({ decapsulated: {}, notDecoded: {} });
  });

  it('counts what it cannot open by reason, and still yields the outer packet', () => {
    const decoder = new PacketDecoder();
    const outerOnly = (frame: Buffer) => expect(decodeAll(decoder, frame)).toHaveLength(1);
    outerOnly(udpBetweenNodes(4789, vxlanHeader(1).subarray(0, 5)));
    outerOnly(udpBetweenNodes(6081, geneveHeader(1, ETHERTYPE_TEB, Buffer.alloc(8)).subarray(0, 12)));
    outerOnly(ipBetweenNodes(47, greHeader({ protocolType: ETHERTYPE.Ipv4, key: 1, sequence: 2 }).subarray(0, 10)));
    outerOnly(ipBetweenNodes(47, Buffer.concat([greHeader({ protocolType: 0x880b }), podPacket()])));
    outerOnly(ipBetweenNodes(47, Buffer.concat([Buffer.of(0x30, 0x01, 0x88, 0x0b), Buffer.alloc(8)])));
    outerOnly(udpBetweenNodes(6081, Buffer.concat([geneveHeader(1, 0x9999), podPacket()])));
    // The tunnel opened, but its inner packet is cut: counted as the inner packet's reason.
    const inner = decodeAll(decoder, udpBetweenNodes(4789, Buffer.concat([vxlanHeader(1), podFrame().subarray(0, 30)])));
    expect(inner).toHaveLength(1);
    expect(decoder.reasonCounts()).toEqual({ ok: 7 });
    expect(decoder.tunnelSummary()).toEqual({
      decapsulated: { vxlan: 1 },
      notDecoded: { 'truncated-tunnel-header': 3, 'unsupported-tunnel-payload': 3, 'truncated-ip-header': 1 },
    });
  });

  it('counts a tunnel packet in an outer IP fragment, and the outer flow still sees it', () => {
    const decoder = new PacketDecoder();
    const first = ethernet(ipv4({ src: NODE_A, dst: NODE_B, protocol: 17, id: 9, moreFragments: true, payload: udp({ srcPort: 1, dstPort: 4789, payload: Buffer.concat([vxlanHeader(1), podFrame()]) }) }), { etherType: ETHERTYPE.Ipv4 });
    const seen = decodeAll(decoder, first);
    expect(seen).toEqual([expect.objectContaining({ src: NODE_A, dstPort: 4789, encapsulates: 'vxlan' })]);
    expect(decoder.tunnelSummary().notDecoded).toEqual({ 'tunnel-in-fragment': 1 });
  });

  it(`opens at most ${MAX_TUNNEL_DEPTH} nested tunnels and counts the packet left inside`, () => {
    let packet = podPacket();
    for (let i = 0; i < MAX_TUNNEL_DEPTH + 1; i++) packet = ipv4({ src: `192.168.60.${i + 1}`, dst: `192.168.61.${i + 1}`, protocol: 4, payload: packet });
    const decoder = new PacketDecoder();
    const seen = decodeAll(decoder, ethernet(packet, { etherType: ETHERTYPE.Ipv4 }));
    // The captured packet and MAX_TUNNEL_DEPTH inner ones; the last of them still carries the pods'.
    expect(seen).toHaveLength(MAX_TUNNEL_DEPTH + 1);
    expect(seen[MAX_TUNNEL_DEPTH]).toMatchObject({ src: '192.168.60.1', encapsulates: 'ip-in-ip', outer: ['192.168.60.2', '192.168.61.2'] });
    expect(decoder.tunnelSummary()).toEqual({ decapsulated: { 'ip-in-ip': MAX_TUNNEL_DEPTH }, notDecoded: { 'tunnel-too-deep': 1 } });
  });

  it('opens a tunnel nested in another (VXLAN inside an ERSPAN mirror), each packet naming the tunnel that carried it', () => {
    const vxlanFrame = udpBetweenNodes(4789, Buffer.concat([vxlanHeader(9), podFrame()]));
    const mirrored = ethernet(ipv4({ src: '172.16.0.1', dst: '172.16.0.2', protocol: 47, payload: Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II, sequence: 1 }), erspanIIHeader(3), vxlanFrame]) }), { etherType: ETHERTYPE.Ipv4 });
    const seen = decodeAll(new PacketDecoder(), mirrored);
    expect(seen.map((s) => [s.tunnel, s.encapsulates, s.src])).toEqual([
      ['none', 'erspan', '172.16.0.1'],
      ['erspan', 'vxlan', NODE_A],
      ['vxlan', 'none', POD_A],
    ]);
  });
});
