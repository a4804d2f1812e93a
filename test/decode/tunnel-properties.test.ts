import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_REASON_NAMES, DecodeReason } from '../../src/decode/decode-reason.js';
import { Fragment } from '../../src/decode/decoded-packet.js';
import { MAX_TUNNEL_DEPTH, PacketDecoder } from '../../src/decode/packet-decoder.js';
import { mutate, mutationsArb } from '../capture/byte-mutations.js';
import { ETHERTYPE, ethernet, ipv4, ipv6, LINKTYPE, udp } from '../../src/frame-builder.js';
import {
  erspanIIHeader, erspanIIIHeader, ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_TEB, geneveHeader, geneveOption, greHeader,
  GTP_PDU_SESSION_CONTAINER, gtpuHeader, vxlanHeader,
} from '../support/tunnel-wrap.js';
import { frameArb } from './frame-arbitraries.js';

const RUNS = 400;
/** Reasons a tunnel header is counted with, instead of an attempt to decode its inner packet. */
const HEADER_REASONS = [DecodeReason.TruncatedTunnelHeader, DecodeReason.UnsupportedTunnelPayload, DecodeReason.TunnelTooDeep, DecodeReason.TunnelInFragment];

/** A tunnel around an IP packet, giving the outer IP packet (IPv4 or IPv6 between two nodes). */
type Wrap = (ip: Buffer) => Buffer;
const version = (ip: Buffer): 4 | 6 => (ip[0] >> 4 === 6 ? 6 : 4);
const frameOf = (ip: Buffer): Buffer => ethernet(ip, { etherType: version(ip) === 6 ? ETHERTYPE.Ipv6 : ETHERTYPE.Ipv4 });
const overUdp = (port: number, payload: Buffer, v6: boolean) =>
  v6
    ? ipv6({ src: 'fd00:50::1', dst: 'fd00:50::2', protocol: 17, payload: udp({ srcPort: 50000, dstPort: port, payload }) })
    : ipv4({ src: '192.168.50.1', dst: '192.168.50.2', protocol: 17, payload: udp({ srcPort: 50000, dstPort: port, payload }) });
const overIp = (protocol: number, payload: Buffer, v6: boolean) =>
  v6 ? ipv6({ src: 'fd00:50::1', dst: 'fd00:50::2', protocol, payload }) : ipv4({ src: '192.168.50.1', dst: '192.168.50.2', protocol, payload });
const ipType = (ip: Buffer) => (version(ip) === 6 ? ETHERTYPE.Ipv6 : ETHERTYPE.Ipv4);

const id = fc.integer({ min: 0, max: 0xffffff });
const wrapArb: fc.Arbitrary<Wrap> = fc.record({ v6: fc.boolean(), id, kind: fc.integer({ min: 0, max: 8 }), optionWords: fc.integer({ min: 0, max: 3 }), key: fc.option(id, { nil: undefined }) }).map(
  ({ v6, id, kind, optionWords, key }): Wrap =>
    (ip) => {
      switch (kind) {
        case 0: return overUdp(4789, Buffer.concat([vxlanHeader(id), frameOf(ip)]), v6);
        case 1: return overUdp(6081, Buffer.concat([geneveHeader(id, ETHERTYPE_TEB, optionWords > 0 ? geneveOption(Buffer.alloc(4 * optionWords, 7)) : undefined), frameOf(ip)]), v6);
        case 2: return overIp(version(ip) === 6 ? 41 : 4, ip, v6);
        case 3: return overIp(47, Buffer.concat([greHeader({ protocolType: ipType(ip), checksum: optionWords > 1, key, sequence: optionWords > 0 ? 1 : undefined }), ip]), v6);
        case 4: return overIp(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_TEB, key }), frameOf(ip)]), v6);
        case 5: return overIp(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_II, sequence: 1 }), erspanIIHeader(id), frameOf(ip)]), v6);
        case 6: return overIp(47, Buffer.concat([greHeader({ protocolType: ETHERTYPE_ERSPAN_III, sequence: 1 }), erspanIIIHeader(id, optionWords > 1), frameOf(ip)]), v6);
        case 7: return overUdp(2152, Buffer.concat([gtpuHeader(id, ip.length, optionWords > 0 ? { sequence: 1, extensions: [GTP_PDU_SESSION_CONTAINER] } : {}), ip]), v6);
        default: return overUdp(2152, Buffer.concat([gtpuHeader(id, ip.length), ip]), v6);
      }
    },
);

/** A random IP packet (any protocol, maybe a fragment) in 0 to 6 random tunnels, as an Ethernet frame. */
const nestedArb = fc.record({ inner: frameArb(LINKTYPE.Raw), wraps: fc.array(wrapArb, { maxLength: MAX_TUNNEL_DEPTH + 2 }) }).map(({ inner, wraps }) => ({
  frame: frameOf(wraps.reduce((ip, wrap) => wrap(ip), inner)),
  depth: wraps.length,
}));

interface Outcome {
  /** Packets the decoder yielded for the frame: the captured one and each one decapsulated. */
  yielded: number;
  lastEncapsulates: number;
  innerDelta: Float64Array;
  tunnelsOpened: number;
}

/**
 * Decodes a frame and every packet inside it, as PacketFlowSink does, checking each yielded
 * packet points only inside the captured bytes (the bytes around are filled so that reading past
 * them would show).
 */
function decodeNested(decoder: PacketDecoder, frame: Buffer, capturedLength: number): Outcome {
  const offset = 5;
  const buffer = Buffer.concat([Buffer.alloc(offset, 0x45), frame.subarray(0, capturedLength), Buffer.alloc(64, 0x60)]);
  const end = offset + capturedLength;
  const innerBefore = Float64Array.from(decoder.innerCounts);
  const tunnelsBefore = decoder.tunnelCounts.reduce((a, b) => a + b, 0);
  const outcome: Outcome = { yielded: 0, lastEncapsulates: 0, innerDelta: innerBefore, tunnelsOpened: 0 };
  if (decoder.decode(buffer, offset, capturedLength, LINKTYPE.Ethernet) === DecodeReason.Ok) {
    const p = decoder.packet;
    do {
      outcome.yielded++;
      outcome.lastEncapsulates = p.encapsulates;
      expect([4, 6]).toContain(p.ipVersion);
      expect(p.networkOffset).toBeGreaterThanOrEqual(offset);
      expect(p.networkOffset).toBeLessThan(end);
      expect(p.payloadCaptured).toBeGreaterThanOrEqual(0);
      expect(p.payloadCaptured).toBeLessThanOrEqual(p.payloadLength);
      if (p.payloadCaptured > 0) expect(p.payloadOffset + p.payloadCaptured).toBeLessThanOrEqual(end);
      if (p.fragment === Fragment.Later) expect(p.encapsulates).toBe(0);
      expect(p.tunnelType !== 0).toBe(outcome.yielded > 1);
    } while (decoder.decapsulate(buffer));
  }
  outcome.innerDelta = decoder.innerCounts.map((n, i) => n - innerBefore[i]);
  outcome.tunnelsOpened = decoder.tunnelCounts.reduce((a, b) => a + b, 0) - tunnelsBefore;
  return outcome;
}

/** Every tunnel packet ends as a decoded inner packet or a counted reason: nothing in between. */
function expectAccounted(o: Outcome): void {
  const sum = (reasons: readonly number[]) => reasons.reduce((n, r) => n + o.innerDelta[r], 0);
  const total = o.innerDelta.reduce((a, b) => a + b, 0);
  // Each packet yielded after the first is an inner packet decoded, and counted as such.
  expect(o.innerDelta[DecodeReason.Ok]).toBe(Math.max(0, o.yielded - 1));
  // Each tunnel opened counts one inner outcome; the header reasons count tunnels not opened.
  expect(total - sum(HEADER_REASONS)).toBe(o.tunnelsOpened);
  // The last packet yielded, if it carries a tunnel, says why its inside was not yielded.
  if (o.lastEncapsulates !== 0) expect(total - o.innerDelta[DecodeReason.Ok] - sum([DecodeReason.TruncatedTunnelHeader, DecodeReason.UnsupportedTunnelPayload])).toBeGreaterThan(0);
  for (let i = 0; i < DECODE_REASON_NAMES.length; i++) expect(o.innerDelta[i]).toBeGreaterThanOrEqual(0);
}

describe('PacketDecoder on tunnels of any shape', () => {
  it(`opens well-formed nested tunnels down to ${MAX_TUNNEL_DEPTH} deep and counts what lies deeper`, () => {
    fc.assert(
      fc.property(nestedArb, ({ frame, depth }) => {
        const decoder = new PacketDecoder();
        const o = decodeNested(decoder, frame, frame.length);
        expectAccounted(o);
        if (depth > MAX_TUNNEL_DEPTH) {
          expect(o.yielded).toBe(MAX_TUNNEL_DEPTH + 1);
          expect(o.innerDelta[DecodeReason.TunnelTooDeep]).toBe(1);
        } else {
          // Every wrapper opens; the random innermost packet may not decode (a later fragment).
          expect(o.yielded).toBeGreaterThanOrEqual(depth);
        }
        expect(decoder.counts.reduce((a, b) => a + b, 0)).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on cut or mutated tunnel packets, and accounts for every one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(nestedArb, fc.nat(), fc.option(mutationsArb, { nil: undefined })), { minLength: 1, maxLength: 12 }), (inputs) => {
        const decoder = new PacketDecoder();
        for (const [{ frame }, cut, mutations] of inputs) {
          const bytes = mutations ? mutate(frame, mutations) : frame;
          expectAccounted(decodeNested(decoder, bytes, cut % (bytes.length + 1)));
        }
        expect(decoder.counts.reduce((a, b) => a + b, 0)).toBe(inputs.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on random bytes behind every tunnel port and protocol', () => {
    const carriers = [
      (b: Buffer, v6: boolean) => overUdp(4789, b, v6),
      (b: Buffer, v6: boolean) => overUdp(6081, b, v6),
      (b: Buffer, v6: boolean) => overUdp(2152, b, v6),
      (b: Buffer, v6: boolean) => overIp(4, b, v6),
      (b: Buffer, v6: boolean) => overIp(41, b, v6),
      (b: Buffer, v6: boolean) => overIp(47, b, v6),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...carriers), fc.boolean(), fc.uint8Array({ maxLength: 120 }), (carrier, v6, bytes) => {
        const frame = frameOf(carrier(Buffer.from(bytes), v6));
        expectAccounted(decodeNested(new PacketDecoder(), frame, frame.length));
      }),
      { numRuns: RUNS },
    );
  });
});
