/**
 * The framings inside and instead of Ethernet: MPLS, PPP, PPPoE, LLC/SNAP, NFLOG, 802.1ah PBB,
 * and the ones counted by name. Frames are built byte by byte (test/support/capture-writer.ts).
 */
import { describe, expect, it } from 'vitest';
import { DecodeReason } from '../../src/decode/decode-reason.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { ethernet, ETHERTYPE, ipv4, ipv6, LINKTYPE, llcSnap, mplsStack, nflog, nflogTlv, NFULA, pbbItag, ppp, PPP_PROTOCOL, pppoe, u16, udp } from '../../src/frame-builder.js';
import { at, decodeFrame } from './decode-frame.js';

const v4 = ipv4({ src: '192.0.2.1', dst: '198.51.100.2', protocol: 17, payload: udp({ srcPort: 5353, dstPort: 53, payload: Buffer.from('q') }) });
const v6 = ipv6({ src: '2001:db8::a', dst: 'fe80::1', protocol: 17, payload: udp({ srcPort: 5353, dstPort: 53, payload: Buffer.from('q') }) });

function decodes(frame: Buffer, linkType: number, networkOffset: number, version: 4 | 6): void {
  const decoder = new PacketDecoder();
  expect(decodeFrame(decoder, frame, linkType)).toBe(DecodeReason.Ok);
  const p = decoder.packet;
  expect(p.networkOffset).toBe(at(networkOffset));
  expect([p.ipVersion, p.protocol, p.srcPort, p.dstPort, p.payloadCaptured]).toEqual([version, 17, 5353, 53, 1]);
}

function reason(frame: Buffer, linkType: number, capturedLength = frame.length): string {
  const decoder = new PacketDecoder();
  decodeFrame(decoder, frame, linkType, capturedLength);
  return Object.keys(decoder.reasonCounts())[0];
}

/** Every cut of `frame` shorter than `headerLength` is a truncated link header. */
function expectCutsTruncated(frame: Buffer, linkType: number, headerLength: number): void {
  for (let cut = 0; cut < headerLength; cut++) expect(reason(frame, linkType, cut), `cut at ${cut}`).toBe('truncated-link-header');
}

describe('MPLS', () => {
  it.each([
    ['IPv4 under one label', [16], v4, 4],
    ['IPv6 under three labels', [16, 17, 3], v6, 6],
  ] as const)('finds %s by the first nibble after the bottom of the stack', (_name, labels, network, version) => {
    const frame = ethernet(mplsStack(labels, network), { etherType: ETHERTYPE.Mpls });
    decodes(frame, LINKTYPE.Ethernet, 14 + 4 * labels.length, version);
    decodes(ethernet(mplsStack(labels, network), { etherType: ETHERTYPE.MplsMulticast, tags: [{ tpid: ETHERTYPE.Vlan, vid: 5 }] }), LINKTYPE.Ethernet, 18 + 4 * labels.length, version);
    expectCutsTruncated(frame, LINKTYPE.Ethernet, 14 + 4 * labels.length);
  });

  it('walks sixteen labels and counts a seventeenth as too many', () => {
    const labels = (n: number) => Array.from({ length: n }, (_, i) => 100 + i);
    decodes(ethernet(mplsStack(labels(16), v4), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet, 14 + 64, 4);
    expect(reason(ethernet(mplsStack(labels(17), v4), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet)).toBe('too-many-mpls-labels');
  });

  it('counts a pseudowire control word (first nibble 0) and an associated channel (1) as mpls-pseudowire, other nibbles as not IP', () => {
    const controlWord = Buffer.concat([Buffer.alloc(4), ethernet(v4, { etherType: ETHERTYPE.Ipv4 })]);
    expect(reason(ethernet(mplsStack([16], controlWord), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet)).toBe('mpls-pseudowire');
    expect(reason(ethernet(mplsStack([16], Buffer.of(0x10, 0, 0, 0x21)), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet)).toBe('mpls-pseudowire');
    expect(reason(ethernet(mplsStack([16], Buffer.alloc(40, 0x50)), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet)).toBe('not-ip');
  });

  it('counts a stack with nothing after it as a truncated IP header', () => {
    expect(reason(ethernet(mplsStack([16], Buffer.alloc(0)), { etherType: ETHERTYPE.Mpls }), LINKTYPE.Ethernet)).toBe('truncated-ip-header');
  });
});

describe('PPP', () => {
  it.each([
    ['LINKTYPE_PPP with address and control', LINKTYPE.Ppp, { hdlc: true }, 4],
    ['LINKTYPE_PPP without them', LINKTYPE.Ppp, {}, 2],
    ['LINKTYPE_PPP_HDLC', LINKTYPE.PppHdlc, { hdlc: true }, 4],
    ['LINKTYPE_PPP_HDLC with a compressed protocol', LINKTYPE.PppHdlc, { hdlc: true, compressed: true }, 3],
  ] as const)('reads %s', (_name, linkType, spec, headerLength) => {
    decodes(ppp(v4, { ...spec, protocol: PPP_PROTOCOL.Ipv4 }), linkType, headerLength, 4);
    decodes(ppp(v6, { ...spec, protocol: PPP_PROTOCOL.Ipv6 }), linkType, headerLength, 6);
    expectCutsTruncated(ppp(v4, { ...spec, protocol: PPP_PROTOCOL.Ipv4 }), linkType, headerLength);
  });

  it('follows MPLS inside PPP', () => {
    decodes(ppp(mplsStack([20], v4), { hdlc: true, protocol: PPP_PROTOCOL.Mpls }), LINKTYPE.Ppp, 8, 4);
  });

  it('counts LCP and IPCP as not IP', () => {
    expect(reason(ppp(Buffer.alloc(8), { hdlc: true, protocol: PPP_PROTOCOL.Lcp }), LINKTYPE.Ppp)).toBe('not-ip');
    expect(reason(ppp(Buffer.alloc(8), { protocol: PPP_PROTOCOL.Ipcp }), LINKTYPE.PppHdlc)).toBe('not-ip');
  });

  it('reads Cisco HDLC (LINKTYPE_C_HDLC, and on a PPP_HDLC line)', () => {
    const chdlc = (network: Buffer, etherType: number) => Buffer.concat([Buffer.of(0x0f, 0x00), u16(etherType), network]);
    decodes(chdlc(v4, ETHERTYPE.Ipv4), LINKTYPE.CiscoHdlc, 4, 4);
    decodes(chdlc(v6, ETHERTYPE.Ipv6), LINKTYPE.PppHdlc, 4, 6);
    expectCutsTruncated(chdlc(v4, ETHERTYPE.Ipv4), LINKTYPE.CiscoHdlc, 4);
  });
});

describe('PPPoE', () => {
  const session = (network: Buffer, protocol: number) => pppoe(ppp(network, { protocol }));

  it('reads a session (0x8864) over plain Ethernet, 802.1Q and QinQ', () => {
    decodes(ethernet(session(v4, PPP_PROTOCOL.Ipv4), { etherType: ETHERTYPE.PppoeSession }), LINKTYPE.Ethernet, 22, 4);
    decodes(ethernet(session(v6, PPP_PROTOCOL.Ipv6), { etherType: ETHERTYPE.PppoeSession, tags: [{ tpid: ETHERTYPE.Vlan, vid: 7 }] }), LINKTYPE.Ethernet, 26, 6);
    const qinq = [
      { tpid: ETHERTYPE.QinQ, vid: 100 },
      { tpid: ETHERTYPE.Vlan, vid: 200 },
    ];
    const frame = ethernet(session(v4, PPP_PROTOCOL.Ipv4), { etherType: ETHERTYPE.PppoeSession, tags: qinq });
    decodes(frame, LINKTYPE.Ethernet, 30, 4);
    expectCutsTruncated(frame, LINKTYPE.Ethernet, 30);
  });

  it('reads LINKTYPE_PPP_ETHER (51): the PPPoE header with no Ethernet before it', () => {
    decodes(session(v4, PPP_PROTOCOL.Ipv4), LINKTYPE.PppEther, 8, 4);
  });

  it('counts discovery (0x8863) as pppoe-discovery and a session of LCP as not IP', () => {
    const padi = pppoe(Buffer.of(0x01, 0x01, 0, 0), { code: 0x09, session: 0 });
    expect(reason(ethernet(padi, { etherType: ETHERTYPE.PppoeDiscovery, tags: [{ tpid: ETHERTYPE.QinQ, vid: 1 }] }), LINKTYPE.Ethernet)).toBe('pppoe-discovery');
    expect(reason(ethernet(session(Buffer.alloc(10), PPP_PROTOCOL.Lcp), { etherType: ETHERTYPE.PppoeSession }), LINKTYPE.Ethernet)).toBe('not-ip');
  });
});

describe('LLC/SNAP', () => {
  it('reads IP behind an 802.3 length field and LLC AA-AA-03 SNAP with an EtherType', () => {
    const body = llcSnap(ETHERTYPE.Ipv4, v4);
    const frame = ethernet(body, { etherType: body.length });
    decodes(frame, LINKTYPE.Ethernet, 22, 4);
    decodes(ethernet(llcSnap(ETHERTYPE.Ipv6, v6), { etherType: 100, tags: [{ tpid: ETHERTYPE.Vlan, vid: 9 }] }), LINKTYPE.Ethernet, 26, 6);
    expectCutsTruncated(frame, LINKTYPE.Ethernet, 22);
  });

  it('counts spanning tree (LLC 42-42-03) as llc-not-snap and SNAP of another OUI or of ARP as not IP', () => {
    const stp = Buffer.concat([Buffer.of(0x42, 0x42, 0x03), Buffer.alloc(35)]);
    expect(reason(ethernet(stp, { etherType: stp.length }), LINKTYPE.Ethernet)).toBe('llc-not-snap');
    const cdp = Buffer.concat([Buffer.of(0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00), Buffer.alloc(30)]);
    expect(reason(ethernet(cdp, { etherType: cdp.length }), LINKTYPE.Ethernet)).toBe('not-ip');
    expect(reason(ethernet(llcSnap(ETHERTYPE.Arp, Buffer.alloc(28)), { etherType: 36 }), LINKTYPE.Ethernet)).toBe('not-ip');
  });
});

describe('802.1ah PBB', () => {
  it('reads the customer frame behind the B-TAG and I-TAG, its own VLAN tag included', () => {
    const customer = ethernet(v4, { etherType: ETHERTYPE.Ipv4, tags: [{ tpid: ETHERTYPE.Vlan, vid: 42 }] });
    const frame = ethernet(pbbItag(0x123456, customer), { etherType: ETHERTYPE.PbbItag, tags: [{ tpid: ETHERTYPE.QinQ, vid: 3 }] });
    // Outer 14 + B-TAG 4 + I-TAG 4 + customer 14 + C-TAG 4.
    decodes(frame, LINKTYPE.Ethernet, 40, 4);
    expectCutsTruncated(frame, LINKTYPE.Ethernet, 36);
  });

  it('bounds nested headers: eight PBB layers decode, a ninth is counted', () => {
    const nest = (n: number): Buffer => {
      let frame = ethernet(v6, { etherType: ETHERTYPE.Ipv6 });
      for (let i = 0; i < n; i++) frame = ethernet(pbbItag(i, frame), { etherType: ETHERTYPE.PbbItag });
      return frame;
    };
    decodes(nest(8), LINKTYPE.Ethernet, 14 + 8 * 18, 6);
    expect(reason(nest(9), LINKTYPE.Ethernet)).toBe('too-many-link-headers');
  });
});

describe('NFLOG', () => {
  it.each(['le', 'be'] as const)('finds the IP packet in NFULA_PAYLOAD with TLVs in %s byte order', (endian) => {
    // Header 4, packet header TLV 8, prefix TLV 8 (7 bytes and padding), payload TLV header 4.
    decodes(nflog(v4, { family: 2, endian }), LINKTYPE.Nflog, 24, 4);
    decodes(nflog(v6, { family: 10, endian }), LINKTYPE.Nflog, 24, 6);
    // A cut between TLVs cannot be told from a record that ends there: both hold no payload.
    const frame = nflog(v4, { family: 2, endian });
    for (let cut = 0; cut < 24; cut++) expect(reason(frame, LINKTYPE.Nflog, cut), `cut at ${cut}`).toBe([4, 12, 20].includes(cut) ? 'nflog-without-payload' : 'truncated-link-header');
  });

  it('counts a record without payload, a TLV shorter than its header, and a family other than IP', () => {
    const header = nflogTlv(NFULA.PacketHdr, Buffer.of(8, 0, 3, 0), 'le');
    expect(reason(nflog(v4, { family: 2, endian: 'le', tlvs: [header] }), LINKTYPE.Nflog)).toBe('nflog-without-payload');
    expect(reason(nflog(v4, { family: 2, endian: 'le', tlvs: [header, Buffer.of(2, 0, 9, 0)] }), LINKTYPE.Nflog)).toBe('nflog-without-payload');
    expect(reason(nflog(v4, { family: 7, endian: 'le' }), LINKTYPE.Nflog)).toBe('not-ip');
  });
});

describe('framings counted by name', () => {
  it.each([
    ['cisco-fabric-path', ETHERTYPE.FabricPath],
    ['cisco-vn-tag', ETHERTYPE.VnTag],
  ] as const)('counts %s', (name, etherType) => {
    expect(reason(ethernet(Buffer.concat([Buffer.alloc(4), ethernet(v4, { etherType: ETHERTYPE.Ipv4 })]), { etherType }), LINKTYPE.Ethernet)).toBe(name);
  });
});
