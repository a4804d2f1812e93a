import { describe, expect, it } from 'vitest';
import { DecodeReason } from '../../src/decode/decode-reason.js';
import { Fragment } from '../../src/decode/decoded-packet.js';
import { formatAddress } from '../../src/net/ip-address.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { IPV6_EXT, ipv4, ipv6, LINKTYPE, TCP_FLAGS, tcp, udp, type Ipv6Extension } from '../../src/frame-builder.js';
import { at, decodeFrame } from './decode-frame.js';

const RAW = LINKTYPE.Raw;

describe('IPv4', () => {
  it('reads addresses (as IPv4-mapped words), protocol and lengths', () => {
    const decoder = new PacketDecoder();
    const packet = ipv4({ src: '203.0.113.200', dst: '10.1.2.3', protocol: 17, id: 0xbeef, payload: udp({ srcPort: 1, dstPort: 2, payload: Buffer.alloc(10) }) });
    expect(decodeFrame(decoder, packet, RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([formatAddress(p.src), formatAddress(p.dst)]).toEqual(['203.0.113.200', '10.1.2.3']);
    expect(Array.from(p.src)).toEqual([0, 0, 0xffff, 0xcb0071c8 | 0]); // words are signed bit patterns
    expect([p.ipVersion, p.protocol, p.ipLength, p.fragment, p.fragmentId]).toEqual([4, 17, 38, Fragment.None, 0xbeef]);
  });

  it.each([1, 4, 10])('skips %d words of IP options', (words) => {
    const decoder = new PacketDecoder();
    const options = Buffer.alloc(words * 4, 0x01); // NOPs
    const packet = ipv4({ protocol: 6, options, payload: tcp({ srcPort: 443, dstPort: 50000, flags: TCP_FLAGS.ACK, payload: Buffer.from('hello') }) });
    expect(decodeFrame(decoder, packet, RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.srcPort, decoder.packet.dstPort]).toEqual([443, 50000]);
    expect(decoder.packet.payloadOffset).toBe(at(20 + words * 4 + 20));
    expect(decoder.packet.payloadCaptured).toBe(5);
  });

  it('rejects a header length below 20 bytes, or above the total length', () => {
    const decoder = new PacketDecoder();
    const payload = udp({ srcPort: 1, dstPort: 2 });
    expect(decodeFrame(decoder, ipv4({ protocol: 17, ihl: 4, payload }), RAW)).toBe(DecodeReason.BadIpHeaderLength);
    expect(decodeFrame(decoder, ipv4({ protocol: 17, ihl: 0, payload }), RAW)).toBe(DecodeReason.BadIpHeaderLength);
    expect(decodeFrame(decoder, ipv4({ protocol: 17, totalLength: 19, payload }), RAW)).toBe(DecodeReason.BadIpHeaderLength);
  });

  it('counts a header cut by the snaplen, options included', () => {
    const decoder = new PacketDecoder();
    const packet = ipv4({ protocol: 17, options: Buffer.alloc(8, 1), payload: udp({ srcPort: 1, dstPort: 2 }) });
    expect(decodeFrame(decoder, packet, RAW, 19)).toBe(DecodeReason.TruncatedIpHeader);
    expect(decodeFrame(decoder, packet, RAW, 27)).toBe(DecodeReason.TruncatedIpHeader);
    expect(decodeFrame(decoder, packet, RAW, 28)).toBe(DecodeReason.TruncatedTransportHeader);
  });

  it('takes the captured length when the total length is 0 (TSO)', () => {
    const decoder = new PacketDecoder();
    const packet = ipv4({ protocol: 6, totalLength: 0, payload: tcp({ srcPort: 1, dstPort: 2, payload: Buffer.alloc(3000) }) });
    expect(decodeFrame(decoder, packet, RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.ipLength, decoder.packet.payloadLength, decoder.packet.payloadCaptured]).toEqual([3040, 3000, 3000]);
  });
});

describe('IPv4 fragments', () => {
  const payload = udp({ srcPort: 4000, dstPort: 9000, payload: Buffer.alloc(40, 7) });
  const first = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 77, moreFragments: true, payload: payload.subarray(0, 24) });
  const middle = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 77, moreFragments: true, fragmentOffset: 3, payload: payload.subarray(24, 40) });
  const last = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 77, fragmentOffset: 5, payload: payload.subarray(40) });

  it('takes ports from the first fragment and attributes later ones to it', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, first, RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.fragment, decoder.packet.srcPort, decoder.packet.dstPort]).toEqual([Fragment.First, 4000, 9000]);
    for (const later of [middle, last]) {
      expect(decodeFrame(decoder, later, RAW)).toBe(DecodeReason.Ok);
      const p = decoder.packet;
      expect([p.fragment, p.fragmentId, p.protocol, p.srcPort, p.dstPort]).toEqual([Fragment.Later, 77, 17, 4000, 9000]);
      expect([p.payloadOffset, p.payloadCaptured, p.payloadLength]).toEqual([at(20), 0, 0]);
      expect(p.ipLength).toBe(later.length);
    }
    expect(decoder.reasonCounts()).toEqual({ ok: 3 });
  });

  it('counts a later fragment whose first was never seen, and does not confuse datagrams', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, last, RAW)).toBe(DecodeReason.FragmentWithoutFirst);
    expect(decodeFrame(decoder, first, RAW)).toBe(DecodeReason.Ok);
    const otherId = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, id: 78, fragmentOffset: 5, payload: Buffer.alloc(8) });
    const otherSource = ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 17, id: 77, fragmentOffset: 5, payload: Buffer.alloc(8) });
    const otherProtocol = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, id: 77, fragmentOffset: 5, payload: Buffer.alloc(8) });
    for (const stranger of [otherId, otherSource, otherProtocol]) expect(decodeFrame(decoder, stranger, RAW)).toBe(DecodeReason.FragmentWithoutFirst);
    expect(decoder.reasonCounts()).toEqual({ ok: 1, 'fragment-without-first': 4 });
  });

  it('does not carry TCP fields of an earlier packet into a later fragment', () => {
    const decoder = new PacketDecoder();
    const syn = ipv4({ protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, seq: 1234, ack: 99, flags: TCP_FLAGS.SYN }) });
    const tcpFirst = ipv4({ protocol: 6, id: 5, moreFragments: true, payload: tcp({ srcPort: 3, dstPort: 4, seq: 10, ack: 20, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.alloc(4) }) });
    const tcpLater = ipv4({ protocol: 6, id: 5, fragmentOffset: 3, payload: Buffer.alloc(16) });
    expect(decodeFrame(decoder, tcpFirst, RAW)).toBe(DecodeReason.Ok);
    expect(decodeFrame(decoder, syn, RAW)).toBe(DecodeReason.Ok);
    expect(decodeFrame(decoder, tcpLater, RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([p.srcPort, p.dstPort, p.tcpFlags, p.tcpSeq, p.tcpAck, p.icmpType]).toEqual([3, 4, 0, 0, 0, 0]);
  });

  it('treats a DF packet and an unfragmented one alike', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 17, dontFragment: true, id: 1, payload }), RAW)).toBe(DecodeReason.Ok);
    expect(decoder.packet.fragment).toBe(Fragment.None);
  });
});

describe('IPv6', () => {
  const segment = tcp({ srcPort: 50000, dstPort: 443, seq: 7, flags: TCP_FLAGS.SYN, payload: Buffer.from('abc') });

  it('reads addresses and lengths', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv6({ src: '2001:db8::1', dst: '2001:db8:0:1::ff', protocol: 6, payload: segment }), RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([formatAddress(p.src), formatAddress(p.dst)]).toEqual(['2001:db8::1', '2001:db8:0:1::ff']);
    expect([p.ipVersion, p.protocol, p.ipLength, p.srcPort, p.dstPort, p.payloadOffset, p.payloadCaptured]).toEqual([6, 6, 40 + 23, 50000, 443, at(60), 3]);
  });

  const chains: [string, Ipv6Extension[], number][] = [
    ['hop-by-hop', [{ type: 0 }], 8],
    ['hop-by-hop of 24 bytes', [{ type: 0, units: 2 }], 24],
    ['routing', [{ type: 43, units: 2 }], 24],
    ['destination options', [{ type: 60 }], 8],
    ['AH', [{ type: 51 }], 24],
    ['atomic fragment', [{ type: 44, offset: 0, more: false, id: 1 }], 8],
    ['all of them', [{ type: 0 }, { type: 60, units: 1 }, { type: 43 }, { type: 44, offset: 0, more: false, id: 1 }, { type: 51, payloadLen: 1 }, { type: 60 }], 8 + 16 + 8 + 8 + 12 + 8],
  ];

  it.each(chains)('walks %s to the transport header', (_name, extensions, extLength) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv6({ protocol: 6, extensions, payload: segment }), RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([p.protocol, p.srcPort, p.dstPort, p.tcpSeq, p.fragment]).toEqual([6, 50000, 443, 7, Fragment.None]);
    expect(p.payloadOffset).toBe(at(40 + extLength + 20));
    expect(p.payloadCaptured).toBe(3);
  });

  it('reports No Next Header as protocol 59 with nothing after it', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv6({ protocol: IPV6_EXT.NoNext, extensions: [{ type: 60 }], payload: Buffer.alloc(0) }), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.protocol, decoder.packet.payloadLength]).toEqual([59, 0]);
  });

  it('counts an extension header cut by the snaplen, or one claiming to run past the capture', () => {
    const decoder = new PacketDecoder();
    const packet = ipv6({ protocol: 6, extensions: [{ type: 0 }, { type: 43, units: 1 }], payload: segment });
    expect(decodeFrame(decoder, packet, RAW, 39)).toBe(DecodeReason.TruncatedIpHeader);
    expect(decodeFrame(decoder, packet, RAW, 47)).toBe(DecodeReason.TruncatedIpv6ExtensionHeader);
    expect(decodeFrame(decoder, packet, RAW, 55)).toBe(DecodeReason.TruncatedIpv6ExtensionHeader);
    expect(decodeFrame(decoder, packet, RAW, 64)).toBe(DecodeReason.TruncatedTransportHeader);
    const overlong = Buffer.from(ipv6({ protocol: 17, extensions: [{ type: 60 }], payload: Buffer.alloc(8) }));
    overlong[41] = 200; // 1608 bytes of options in a 56-byte packet
    expect(decodeFrame(decoder, overlong, RAW)).toBe(DecodeReason.TruncatedIpv6ExtensionHeader);
  });

  it('stops walking a hostile chain of extension headers', () => {
    const decoder = new PacketDecoder();
    const chain = Array.from({ length: 40 }, () => ({ type: 60 as const }));
    expect(decodeFrame(decoder, ipv6({ protocol: 17, extensions: chain, payload: udp({ srcPort: 1, dstPort: 2 }) }), RAW)).toBe(DecodeReason.TruncatedIpv6ExtensionHeader);
  });
});

describe('IPv6 fragments', () => {
  const datagram = udp({ srcPort: 5000, dstPort: 6000, payload: Buffer.alloc(30, 3) });
  const fragment = (offset: number, more: boolean, data: Buffer, id = 0x01020304, extensions: Ipv6Extension[] = []) =>
    ipv6({ src: 'fd00::1', dst: 'fd00::2', protocol: 17, extensions: [...extensions, { type: 44, offset, more, id }], payload: data });

  it('takes ports from the first fragment and attributes later ones to it', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, fragment(0, true, datagram.subarray(0, 16), undefined, [{ type: 0 }]), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.fragment, decoder.packet.fragmentId, decoder.packet.srcPort]).toEqual([Fragment.First, 0x01020304, 5000]);
    expect(decodeFrame(decoder, fragment(2, false, datagram.subarray(16)), RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([p.fragment, p.fragmentId, p.protocol, p.srcPort, p.dstPort, p.payloadCaptured, p.tcpFlags]).toEqual([Fragment.Later, 0x01020304, 17, 5000, 6000, 0, 0]);
    expect(p.payloadOffset).toBe(at(48));
  });

  it('counts a later fragment whose first was never seen', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, fragment(2, false, datagram.subarray(16)), RAW)).toBe(DecodeReason.FragmentWithoutFirst);
    expect(decodeFrame(decoder, fragment(0, true, datagram.subarray(0, 16), 9), RAW)).toBe(DecodeReason.Ok);
    expect(decodeFrame(decoder, fragment(2, false, datagram.subarray(16)), RAW)).toBe(DecodeReason.FragmentWithoutFirst);
    expect(decoder.reasonCounts()).toEqual({ ok: 1, 'fragment-without-first': 2 });
  });
});
