import { describe, expect, it } from 'vitest';
import { DECODE_REASON_NAMES, DecodeReason } from '../../src/decode/decode-reason.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/decoded-packet.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { ethernet, ETHERTYPE, icmp, ipv4, ipv6, LINKTYPE, TCP_FLAGS, tcp, udp } from '../../src/frame-builder.js';
import { at, decodeFrame } from './decode-frame.js';

const RAW = LINKTYPE.Raw;
const eth4 = (payload: Buffer, protocol: number, padTo?: number): Buffer => ethernet(ipv4({ protocol, payload }), { etherType: ETHERTYPE.Ipv4, padTo });

describe('TCP', () => {
  it('reads ports, flags, sequence and acknowledgement numbers and where the payload starts', () => {
    const decoder = new PacketDecoder();
    const segment = tcp({ srcPort: 51515, dstPort: 8443, seq: 0xfffffff0, ack: 0x80000001, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, payload: Buffer.from('GET /') });
    expect(decodeFrame(decoder, ipv4({ protocol: 6, payload: segment }), RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([p.srcPort, p.dstPort, p.tcpFlags]).toEqual([51515, 8443, 0x18]);
    // Sequence numbers are held as signed 32-bit bit patterns.
    expect([p.tcpSeq >>> 0, p.tcpAck >>> 0]).toEqual([0xfffffff0, 0x80000001]);
    expect([p.payloadOffset, p.payloadCaptured, p.payloadLength]).toEqual([at(40), 5, 5]);
    expect(p.icmpType).toBe(0);
  });

  it.each([
    ['SYN', TCP_SYN],
    ['SYN-ACK', TCP_SYN | TCP_ACK],
    ['FIN-ACK', TCP_FIN | TCP_ACK],
    ['RST', TCP_RST],
    ['all flags', 0xff],
  ])('keeps the %s flags byte as sent', (_name, flags) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, flags }) }), RAW)).toBe(DecodeReason.Ok);
    expect(decoder.packet.tcpFlags).toBe(flags);
    expect(decoder.packet.payloadLength).toBe(0);
  });

  it('starts the payload after TCP options, by the data offset', () => {
    const decoder = new PacketDecoder();
    const options = Buffer.from([0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0x03, 0x03, 0x07]);
    const segment = tcp({ srcPort: 1, dstPort: 2, flags: TCP_FLAGS.SYN, options, payload: Buffer.from('xy') });
    expect(decodeFrame(decoder, ipv6({ protocol: 6, payload: segment }), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.payloadOffset, decoder.packet.payloadCaptured]).toEqual([at(40 + 40), 2]);
  });

  it.each([0, 1, 4])('rejects a data offset of %d words (below 5)', (dataOffset) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, dataOffset, payload: Buffer.alloc(8) }) }), RAW)).toBe(DecodeReason.BadTcpHeaderLength);
    expect(decoder.reasonCounts()).toEqual({ 'bad-tcp-header-length': 1 });
  });

  it('counts a TCP header cut short', () => {
    const decoder = new PacketDecoder();
    const packet = ipv4({ protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2 }) });
    expect(decodeFrame(decoder, packet, RAW, 39)).toBe(DecodeReason.TruncatedTransportHeader);
  });

  it('keeps the wire payload length when the snaplen cuts the captured payload', () => {
    const decoder = new PacketDecoder();
    const frame = eth4(tcp({ srcPort: 1, dstPort: 2, flags: TCP_FLAGS.ACK, payload: Buffer.alloc(1400, 1) }), 6);
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet, 96)).toBe(DecodeReason.Ok);
    expect([decoder.packet.ipLength, decoder.packet.payloadLength, decoder.packet.payloadCaptured]).toEqual([1440, 1400, 96 - 54]);
  });

  it('reports no captured payload when options run past the capture', () => {
    const decoder = new PacketDecoder();
    const packet = ipv4({ protocol: 6, payload: tcp({ srcPort: 1, dstPort: 2, options: Buffer.alloc(40, 1), payload: Buffer.alloc(10) }) });
    expect(decodeFrame(decoder, packet, RAW, 50)).toBe(DecodeReason.Ok);
    expect([decoder.packet.payloadCaptured, decoder.packet.payloadLength]).toEqual([0, 10]);
  });
});

describe('UDP', () => {
  it('reads ports and the payload, over IPv4 and IPv6', () => {
    const decoder = new PacketDecoder();
    const datagram = udp({ srcPort: 5353, dstPort: 53, payload: Buffer.alloc(33) });
    expect(decodeFrame(decoder, ipv4({ protocol: 17, payload: datagram }), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.srcPort, decoder.packet.dstPort, decoder.packet.payloadOffset, decoder.packet.payloadCaptured]).toEqual([5353, 53, at(28), 33]);
    expect(decodeFrame(decoder, ipv6({ protocol: 17, payload: datagram }), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.srcPort, decoder.packet.dstPort, decoder.packet.payloadOffset, decoder.packet.payloadCaptured]).toEqual([5353, 53, at(48), 33]);
  });

  it('counts a UDP header cut short', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 17, payload: udp({ srcPort: 1, dstPort: 2 }) }), RAW, 27)).toBe(DecodeReason.TruncatedTransportHeader);
  });
});

describe('ICMP', () => {
  it('reads the ICMP and ICMPv6 type and code, and gives them as ports the way Zeek and the Community ID spec do', () => {
    const decoder = new PacketDecoder();
    const decode = (frame: Buffer): number[] => {
      expect(decodeFrame(decoder, frame, RAW)).toBe(DecodeReason.Ok);
      const p = decoder.packet;
      return [p.protocol, p.icmpType, p.icmpCode, p.srcPort, p.dstPort];
    };
    expect(decodeFrame(decoder, ipv4({ protocol: 17, payload: udp({ srcPort: 9, dstPort: 9 }) }), RAW)).toBe(DecodeReason.Ok);
    // One-way messages: type and code.
    expect(decode(ipv4({ protocol: 1, payload: icmp({ type: 3, code: 13, rest: Buffer.from([0, 1, 0, 2, 9, 9]) }) }))).toEqual([1, 3, 13, 3, 13]);
    expect(decode(ipv6({ protocol: 58, payload: icmp({ type: 1, code: 4 }) }))).toEqual([58, 1, 4, 1, 4]);
    // Requests and replies: type and the counterpart's type, so both halves key one flow.
    expect(decode(ipv4({ protocol: 1, payload: icmp({ type: 8 }) }))).toEqual([1, 8, 0, 8, 0]);
    expect(decode(ipv4({ protocol: 1, payload: icmp({ type: 0 }) }))).toEqual([1, 0, 0, 0, 8]);
    expect(decode(ipv4({ protocol: 1, payload: icmp({ type: 9 }) }))).toEqual([1, 9, 0, 9, 10]);
    expect(decode(ipv6({ protocol: 58, payload: icmp({ type: 135, rest: Buffer.alloc(20) }) }))).toEqual([58, 135, 0, 135, 136]);
    expect(decode(ipv6({ protocol: 58, payload: icmp({ type: 145 }) }))).toEqual([58, 145, 0, 145, 144]);
    // The same type numbers mean other things in the other ICMP: 135 is one-way in ICMPv4, 8 in ICMPv6.
    expect(decode(ipv4({ protocol: 1, payload: icmp({ type: 135, code: 2 }) }))).toEqual([1, 135, 2, 135, 2]);
    expect(decode(ipv6({ protocol: 58, payload: icmp({ type: 8, code: 1 }) }))).toEqual([58, 8, 1, 8, 1]);
  });

  it('counts an ICMP header cut short', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 1, payload: icmp({ type: 0 }) }), RAW, 23)).toBe(DecodeReason.TruncatedTransportHeader);
  });
});

describe('SCTP', () => {
  it('reads the ports of the common header; the chunks are payload', () => {
    const decoder = new PacketDecoder();
    const sctp = Buffer.concat([Buffer.from([0x0b, 0x59, 0x00, 0x07]), Buffer.alloc(8, 0xab), Buffer.from([4, 0, 0, 4])]);
    expect(decodeFrame(decoder, ipv4({ protocol: 132, payload: sctp }), RAW)).toBe(DecodeReason.Ok);
    const p = decoder.packet;
    expect([p.protocol, p.srcPort, p.dstPort, p.payloadOffset, p.payloadLength]).toEqual([132, 2905, 7, at(20 + 12), 4]);
  });

  it('counts an SCTP common header cut short', () => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol: 132, payload: Buffer.alloc(11) }), RAW)).toBe(DecodeReason.TruncatedTransportHeader);
  });
});

describe('other IP protocols', () => {
  it.each([47, 50, 89, 115])('decodes protocol %d as IP with no ports, payload right after the IP header', (protocol) => {
    const decoder = new PacketDecoder();
    expect(decodeFrame(decoder, ipv4({ protocol, payload: Buffer.alloc(12, 1) }), RAW)).toBe(DecodeReason.Ok);
    expect([decoder.packet.protocol, decoder.packet.srcPort, decoder.packet.dstPort, decoder.packet.payloadOffset, decoder.packet.payloadLength]).toEqual([protocol, 0, 0, at(20), 12]);
  });
});

describe('Ethernet trailer padding', () => {
  it.each([
    ['UDP', (p: Buffer) => eth4(udp({ srcPort: 1, dstPort: 2, payload: p }), 17, 60), 42],
    ['TCP', (p: Buffer) => eth4(tcp({ srcPort: 1, dstPort: 2, flags: TCP_FLAGS.ACK, payload: p }), 6, 60), 54],
    ['ICMP', (p: Buffer) => eth4(icmp({ type: 8, rest: p }), 1, 60), 38],
  ])('does not count the padding of a minimum-size %s frame as payload', (_name, build, headers) => {
    const decoder = new PacketDecoder();
    const frame = build(Buffer.from('hi'));
    expect(frame.length).toBe(60);
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet)).toBe(DecodeReason.Ok);
    expect([decoder.packet.payloadOffset, decoder.packet.payloadCaptured, decoder.packet.payloadLength]).toEqual([at(headers), 2, 2]);
  });

  it('does not count an FCS or padding after an IPv6 datagram', () => {
    const decoder = new PacketDecoder();
    const frame = Buffer.concat([ethernet(ipv6({ protocol: 17, payload: udp({ srcPort: 1, dstPort: 2, payload: Buffer.from('abc') }) }), { etherType: ETHERTYPE.Ipv6 }), Buffer.alloc(4, 0xcc)]);
    expect(decodeFrame(decoder, frame, LINKTYPE.Ethernet)).toBe(DecodeReason.Ok);
    expect([decoder.packet.payloadCaptured, decoder.packet.payloadLength]).toEqual([3, 3]);
  });
});

describe('decode accounting', () => {
  it('counts every packet under exactly one reason, with stable names', () => {
    const decoder = new PacketDecoder();
    const good = ipv4({ protocol: 17, payload: udp({ srcPort: 1, dstPort: 2 }) });
    decodeFrame(decoder, good, RAW);
    decodeFrame(decoder, good, RAW);
    decodeFrame(decoder, good, 9999);
    decodeFrame(decoder, good, RAW, 10);
    decodeFrame(decoder, ethernet(Buffer.alloc(28), { etherType: ETHERTYPE.Arp }), LINKTYPE.Ethernet);
    expect(decoder.reasonCounts()).toEqual({ ok: 2, 'unsupported-link-type': 1, 'truncated-ip-header': 1, 'not-ip': 1 });
    expect(decoder.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(DECODE_REASON_NAMES).toHaveLength(Object.keys(DecodeReason).length);
    for (const [name, code] of Object.entries(DecodeReason)) {
      expect(DECODE_REASON_NAMES[code]).toBe(name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase());
    }
  });
});
