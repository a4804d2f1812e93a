import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_REASON_NAMES, DecodeReason } from '../../src/decode/decode-reason.js';
import { Fragment } from '../../src/decode/decoded-packet.js';
import { PacketDecoder } from '../../src/decode/packet-decoder.js';
import { mutate, mutationsArb } from '../capture/byte-mutations.js';
import { ETHERTYPE, ethernet, LINKTYPE, sll } from '../../src/frame-builder.js';
import { anyFrame, frameArb, framedPacketArb, LINK_TYPES } from './frame-arbitraries.js';

const RUNS = 500;

interface Input {
  linkType: number;
  frame: Buffer;
  /** Bytes before the frame in the buffer, and the captured length handed to the decoder. */
  offset: number;
  capturedLength: number;
}

/** Frames as readers hand them over: at an offset in a larger buffer, maybe cut by a snaplen. */
const input = (frame: fc.Arbitrary<{ linkType: number; frame: Buffer }>): fc.Arbitrary<Input> =>
  fc.record({ f: frame, offset: fc.integer({ min: 0, max: 16 }), cut: fc.option(fc.nat(), { nil: undefined }) }).map(({ f, offset, cut }) => ({
    ...f,
    offset,
    capturedLength: cut === undefined ? f.frame.length : cut % (f.frame.length + 1),
  }));

/**
 * Decodes one input and checks what must hold for any bytes: a known reason comes back, and an
 * Ok packet points only inside the slice it was given (payload, network header), with ports and
 * versions in range. Bytes around the slice are filled so that reading past it would show.
 */
function decodeAndCheck(decoder: PacketDecoder, { linkType, frame, offset, capturedLength }: Input): number {
  const buffer = Buffer.concat([Buffer.alloc(offset, 0x45), frame.subarray(0, capturedLength), Buffer.alloc(64, 0x60)]);
  const end = offset + capturedLength;
  const reason = decoder.decode(buffer, offset, capturedLength, linkType);
  expect(reason).toBeGreaterThanOrEqual(0);
  expect(reason).toBeLessThan(DECODE_REASON_NAMES.length);
  if (reason !== DecodeReason.Ok) return reason;
  const p = decoder.packet;
  expect([4, 6]).toContain(p.ipVersion);
  expect(p.networkOffset).toBeGreaterThanOrEqual(offset);
  expect(p.networkOffset).toBeLessThan(end);
  expect(p.payloadCaptured).toBeGreaterThanOrEqual(0);
  expect(p.payloadCaptured).toBeLessThanOrEqual(p.payloadLength);
  if (p.payloadCaptured > 0) {
    expect(p.payloadOffset).toBeGreaterThan(p.networkOffset);
    expect(p.payloadOffset + p.payloadCaptured).toBeLessThanOrEqual(end);
  }
  for (const port of [p.srcPort, p.dstPort]) expect(port >= 0 && port <= 65535).toBe(true);
  expect(p.protocol >= 0 && p.protocol <= 255).toBe(true);
  if (p.fragment === Fragment.Later) expect([p.tcpFlags, p.payloadCaptured, p.payloadLength]).toEqual([0, 0, 0]);
  return reason;
}

/** What a decode left in the packet, with its offsets taken from the network header so that link layers compare. */
function outcome(decoder: PacketDecoder, reason: number): unknown {
  const { networkOffset, payloadOffset, src, dst, tunnelSrc, tunnelDst, ...fields } = decoder.packet;
  return reason !== DecodeReason.Ok ? { reason } : { reason, ...fields, payloadAt: payloadOffset - networkOffset, src: [...src], dst: [...dst] };
}

function expectCountsMatch(decoder: PacketDecoder, decoded: number): void {
  expect(decoder.counts.reduce((a, b) => a + b, 0)).toBe(decoded);
  expect(Object.values(decoder.reasonCounts()).reduce((a, b) => a + b, 0)).toBe(decoded);
}

describe('PacketDecoder on any input', () => {
  it.each(LINK_TYPES)('decodes well-formed frames of link type %d as Ok when they are whole', (linkType) => {
    fc.assert(
      fc.property(framedPacketArb(linkType), ({ frame, later }) => {
        const decoder = new PacketDecoder();
        const reason = decodeAndCheck(decoder, { linkType, frame, offset: 3, capturedLength: frame.length });
        // A whole, well-formed frame decodes, unless it is a later fragment (a fresh decoder
        // has seen no first fragment) or its link type is one the decoder does not know.
        const expected = linkType === 147 ? DecodeReason.UnsupportedLinkType : later ? DecodeReason.FragmentWithoutFirst : DecodeReason.Ok;
        expect(reason).toBe(expected);
        expectCountsMatch(decoder, 1);
      }),
      { numRuns: 60 },
    );
  });

  it('never throws on mutated frames of every link type, and counts each packet once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(input(anyFrame), fc.option(mutationsArb, { nil: undefined })), { minLength: 1, maxLength: 20 }), (inputs) => {
        // One decoder for the sequence: first fragments seen early must not break later decodes.
        const decoder = new PacketDecoder();
        for (const [i, mutations] of inputs) {
          const frame = mutations ? mutate(i.frame, mutations) : i.frame;
          decodeAndCheck(decoder, { ...i, frame, capturedLength: Math.min(i.capturedLength, frame.length) });
        }
        expectCountsMatch(decoder, inputs.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on random bytes under any link type number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...LINK_TYPES), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 8 }), (linkType, bytes, offset) => {
        const decoder = new PacketDecoder();
        const frame = Buffer.from(bytes);
        decodeAndCheck(decoder, { linkType, frame, offset, capturedLength: frame.length });
        expectCountsMatch(decoder, 1);
      }),
      { numRuns: RUNS },
    );
  });

  // The decoder reads Ethernet with no tag or one 802.1Q tag itself and leaves every other link
  // layer to decodeLinkLayer (packet-decoder.ts, decodeFrame): the two paths must agree.
  it('decodes an IP packet the same behind Ethernet (with no tag or an 802.1Q tag), an 802.1ad tag and a Linux cooked header', () => {
    const carriers = [
      { linkType: LINKTYPE.Ethernet, wrap: (ip: Buffer, etherType: number) => ethernet(ip, { etherType }) },
      { linkType: LINKTYPE.Ethernet, wrap: (ip: Buffer, etherType: number) => ethernet(ip, { etherType, tags: [{ tpid: ETHERTYPE.Vlan, vid: 7 }] }) },
      { linkType: LINKTYPE.Ethernet, wrap: (ip: Buffer, etherType: number) => ethernet(ip, { etherType, tags: [{ tpid: ETHERTYPE.QinQ, vid: 7 }] }) },
      { linkType: LINKTYPE.LinuxSll, wrap: (ip: Buffer, etherType: number) => sll(ip, etherType) },
    ];
    const packet = fc.tuple(frameArb(LINKTYPE.Raw), fc.option(mutationsArb, { nil: undefined }), fc.nat());
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 12 }), (packets) => {
        // One decoder per carrier over the whole sequence, so that first fragments count alike.
        const decoders = carriers.map(() => new PacketDecoder());
        for (const [whole, mutations, cut] of packets) {
          const ip = mutations ? mutate(whole, mutations) : whole;
          const etherType = ip.length > 0 && ip[0] >> 4 === 6 ? ETHERTYPE.Ipv6 : ETHERTYPE.Ipv4;
          const kept = cut % (ip.length + 1);
          const outcomes = carriers.map(({ linkType, wrap }, i) => {
            const frame = wrap(ip, etherType);
            const capturedLength = frame.length - ip.length + kept;
            return outcome(decoders[i], decodeAndCheck(decoders[i], { linkType, frame, offset: 2, capturedLength }));
          });
          for (const o of outcomes.slice(1)) expect(o).toEqual(outcomes[0]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
