import { describe, expect, it } from 'vitest';
import { DecodeReason } from '../../src/decode/decode-reason.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { ethernet, ETHERTYPE, ipv4, ipv6, LINKTYPE, llcSnap, nullLink, sll, sll2, udp, type Endian } from '../../src/frame-builder.js';
import { at, decodeFrame } from './decode-frame.js';

const v4 = ipv4({ src: '192.0.2.1', dst: '198.51.100.2', protocol: 17, payload: udp({ srcPort: 5353, dstPort: 53, payload: Buffer.from('q') }) });
const v6 = ipv6({ src: '2001:db8::a', dst: 'fe80::1', protocol: 17, payload: udp({ srcPort: 5353, dstPort: 53, payload: Buffer.from('q') }) });

function expectUdp(decoder: PacketDecoder, networkOffset: number, version: 4 | 6): void {
  const p = decoder.packet;
  expect(p.networkOffset).toBe(at(networkOffset));
  expect(p.ipVersion).toBe(version);
  expect([p.protocol, p.srcPort, p.dstPort]).toEqual([17, 5353, 53]);
  expect(p.payloadCaptured).toBe(1);
}

describe('Ethernet', () => {
  it.each([
    ['IPv4', v4, ETHERTYPE.Ipv4, 4],
    ['IPv6', v6, ETHERTYPE.Ipv6, 6],
  ] as const)('finds %s after the 14-byte header', (_name, network, etherType, version) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ethernet(network, { etherType }), LINKTYPE.Ethernet)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 14, version);
    expect(decoder.packet.etherType).toBe(etherType);
  });

  it.each([
    ['802.1Q', [{ tpid: ETHERTYPE.Vlan, vid: 100 }]],
    ['QinQ 802.1ad', [{ tpid: ETHERTYPE.QinQ, vid: 10 }, { tpid: ETHERTYPE.Vlan, vid: 20 }]],
    ['old QinQ 0x9100', [{ tpid: ETHERTYPE.QinQOld, vid: 10 }, { tpid: ETHERTYPE.Vlan, vid: 20 }]],
    ['eight tags', Array.from({ length: 8 }, (_, i) => ({ tpid: ETHERTYPE.Vlan, vid: i }))],
  ])('skips %s tags', (_name, tags) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ethernet(v4, { etherType: ETHERTYPE.Ipv4, tags }), LINKTYPE.Ethernet)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 14 + 4 * tags.length, 4);
  });

  it('counts a ninth VLAN tag as too many', () => {
    const decoder = new PacketDecoder();
    const tags = Array.from({ length: 9 }, (_, i) => ({ tpid: ETHERTYPE.Vlan, vid: i }));
    expect(decodeFrame(decoder, ethernet(v4, { etherType: ETHERTYPE.Ipv4, tags }), LINKTYPE.Ethernet)).toBe(DecodeReason.TooManyVlanTags);
  });

  it('counts ARP as not IP, and an 802.3 length frame without SNAP as llc-not-snap', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ethernet(Buffer.alloc(28), { etherType: ETHERTYPE.Arp }), LINKTYPE.Ethernet)).toBe(DecodeReason.NotIp);
    expect(decodeFrame(decoder, ethernet(Buffer.alloc(46), { etherType: 46 }), LINKTYPE.Ethernet)).toBe(DecodeReason.LlcNotSnap);
    expect(decodeFrame(decoder, ethernet(Buffer.alloc(46), { etherType: ETHERTYPE.Arp, tags: [{ tpid: ETHERTYPE.Vlan, vid: 1 }] }), LINKTYPE.Ethernet)).toBe(DecodeReason.NotIp);
  });

  it('counts a header cut short, including inside a VLAN tag', () => {
    const decoder = new PacketDecoder();
    const frame = ethernet(v4, { etherType: ETHERTYPE.Ipv4, tags: [{ tpid: ETHERTYPE.Vlan, vid: 7 }] });
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet, 13)).toBe(DecodeReason.TruncatedLinkHeader);
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet, 16)).toBe(DecodeReason.TruncatedLinkHeader);
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet, 18)).toBe(DecodeReason.TruncatedIpHeader);
  });
});

describe('Linux cooked captures', () => {
  it('reads SLL (protocol at 14, 16-byte header) and SLL2 (protocol first, 20-byte header)', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, sll(v4, ETHERTYPE.Ipv4), LINKTYPE.LinuxSll)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 16, 4);
    expect(decodeFrame(decoder, sll(v6, ETHERTYPE.Ipv6), LINKTYPE.LinuxSll)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 16, 6);
    expect(decodeFrame(decoder, sll2(v4, ETHERTYPE.Ipv4), LINKTYPE.LinuxSll2)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 20, 4);
    expect(decodeFrame(decoder, sll2(v6, ETHERTYPE.Ipv6), LINKTYPE.LinuxSll2)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 20, 6);
  });

  it('skips a VLAN tag the kernel left in a cooked header', () => {
    const decoder = new PacketDecoder();
    const tagged = Buffer.concat([Buffer.from([0x00, 0x05, 0x08, 0x00]), v4]);
    expect(decodeFrame(decoder, sll(tagged, ETHERTYPE.Vlan), LINKTYPE.LinuxSll)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 20, 4);
  });

  it('reads 802.2 LLC/SNAP frames (protocol 0x0004)', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, sll(llcSnap(ETHERTYPE.Ipv6, v6), 0x0004), LINKTYPE.LinuxSll)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 24, 6);
  });

  it('counts non-IP protocols and short headers', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, sll(Buffer.alloc(30), 0x0001), LINKTYPE.LinuxSll)).toBe(DecodeReason.NotIp);
    expect(decodeFrame(decoder, sll(Buffer.alloc(30), 0x0004), LINKTYPE.LinuxSll)).toBe(DecodeReason.LlcNotSnap);
    expect(decodeFrame(decoder, sll2(Buffer.alloc(30), ETHERTYPE.Arp), LINKTYPE.LinuxSll2)).toBe(DecodeReason.NotIp);
    expect(decodeFrame(decoder, sll(v4, ETHERTYPE.Ipv4), LINKTYPE.LinuxSll, 15)).toBe(DecodeReason.TruncatedLinkHeader);
    expect(decodeFrame(decoder, sll2(v4, ETHERTYPE.Ipv4), LINKTYPE.LinuxSll2, 19)).toBe(DecodeReason.TruncatedLinkHeader);
  });
});

describe('raw IP', () => {
  it.each([LINKTYPE.Raw, LINKTYPE.RawOpenBsd, LINKTYPE.RawBsdi])('tells IPv4 from IPv6 by the version nibble (link type %d)', (linkType) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, v4, linkType)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 0, 4);
    expect(decodeFrame(decoder, v6, linkType)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 0, 6);
    expect(decodeFrame(decoder, Buffer.from([0x50, ...Buffer.alloc(39)]), linkType)).toBe(DecodeReason.BadIpVersion);
    expect(decodeFrame(decoder, v4, linkType, 0)).toBe(DecodeReason.TruncatedIpHeader);
  });

  it('reads LINKTYPE_IPV4 (228) as IPv4 only and LINKTYPE_IPV6 (229) as IPv6 only', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, v4, LINKTYPE.Ipv4)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 0, 4);
    expect(decodeFrame(decoder, v6, LINKTYPE.Ipv6)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 0, 6);
    expect(decodeFrame(decoder, v6, LINKTYPE.Ipv4)).toBe(DecodeReason.BadIpVersion);
    expect(decodeFrame(decoder, v4, LINKTYPE.Ipv6)).toBe(DecodeReason.BadIpVersion);
  });
});

describe('BSD null and OpenBSD loopback', () => {
  const cases: [Endian, number, Buffer, 4 | 6][] = [];
  for (const endian of ['le', 'be'] as const) {
    cases.push([endian, 2, v4, 4]);
    for (const inet6 of [10, 24, 28, 30]) cases.push([endian, inet6, v6, 6]);
  }

  it.each(cases)('reads a %s family word %d', (endian, family, network, version) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, nullLink(network, family, endian), LINKTYPE.Null)).toBe(DecodeReason.Ok);
    expectUdp(decoder, 4, version);
    if (endian === 'be') {
      expect(decodeFrame(decoder, nullLink(network, family, endian), LINKTYPE.Loop)).toBe(DecodeReason.Ok);
      expectUdp(decoder, 4, version);
    }
  });

  it('counts other families as not IP and a short header as truncated', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, nullLink(v4, 7, 'le'), LINKTYPE.Null)).toBe(DecodeReason.NotIp);
    expect(decodeFrame(decoder, nullLink(v4, 0, 'le'), LINKTYPE.Null)).toBe(DecodeReason.NotIp);
    expect(decodeFrame(decoder, nullLink(v4, 2, 'le'), LINKTYPE.Null, 3)).toBe(DecodeReason.TruncatedLinkHeader);
  });
});

describe('unsupported link types', () => {
  it.each([105, 119, 127, 163, 192])('counts 802.11 link type %d as ieee80211', (linkType) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, v4, linkType)).toBe(DecodeReason.Ieee80211);
    expect(decoder.reasonCounts()).toEqual({ 'ieee80211': 1 });
  });

  it.each([147, 148, 65535])('counts link type %d as unsupported', (linkType) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, v4, linkType)).toBe(DecodeReason.UnsupportedLinkType);
    expect(decoder.reasonCounts()).toEqual({ 'unsupported-link-type': 1 });
  });
});
