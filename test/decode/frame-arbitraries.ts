import fc from 'fast-check';
import { ethernet, ETHERTYPE, icmp, ipv4, ipv6, LINKTYPE, llcSnap, mplsStack, nflog, nullLink, pbbItag, ppp, PPP_PROTOCOL, pppoe, sll, sll2, tcp, u16, udp, type Ipv6Extension } from '../../src/frame-builder.js';

/** Every link type the decoder understands, and one it does not. */
export const LINK_TYPES = [...Object.values(LINKTYPE), 147] as const;

const port = fc.integer({ min: 0, max: 65535 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a));

/** Protocols the decoder parses (transport and IPv6 extension headers): random bytes would not fit them. */
const HEADERS_WITH_A_SHAPE = new Set([0, 1, 6, 17, 43, 44, 51, 58, 60, 132, 135, 139, 140]);

/** A transport header and payload, with the IP protocol number that carries it. */
const transport: fc.Arbitrary<{ protocol: number; bytes: Buffer }> = fc.oneof(
  fc
    .record({ srcPort: port, dstPort: port, seq: u32, ack: u32, flags: fc.integer({ min: 0, max: 255 }), options: fc.uint8Array({ maxLength: 12 }), payload })
    .map((t) => ({ protocol: 6, bytes: tcp({ ...t, options: Buffer.from(t.options) }) })),
  fc.record({ srcPort: port, dstPort: port, payload }).map((u) => ({ protocol: 17, bytes: udp(u) })),
  // SCTP: the common header (ports, verification tag, checksum), then chunk bytes.
  fc.record({ srcPort: port, dstPort: port, payload }).map((s) => ({ protocol: 132, bytes: Buffer.concat([Buffer.from([s.srcPort >> 8, s.srcPort & 0xff, s.dstPort >> 8, s.dstPort & 0xff]), Buffer.alloc(8), s.payload]) })),
  fc.record({ type: fc.integer({ min: 0, max: 255 }), protocol: fc.constantFrom(1, 58) }).map((i) => ({ protocol: i.protocol, bytes: icmp({ type: i.type }) })),
  fc.record({ protocol: fc.integer({ min: 0, max: 255 }).filter((n) => !HEADERS_WITH_A_SHAPE.has(n)), bytes: payload }),
);

// Few addresses and fragment ids, so that later fragments meet their first ones now and then.
const v4Address = fc.constantFrom('10.0.0.1', '10.0.0.2', '192.0.2.77');
const v6Address = fc.constantFrom('2001:db8::1', 'fe80::2', '::1');
const fragmentId = fc.integer({ min: 0, max: 3 });

const ipv4Packet = fc
  .record({
    src: v4Address,
    dst: v4Address,
    transport,
    id: fragmentId,
    moreFragments: fc.boolean(),
    fragmentOffset: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x1fff })),
    optionWords: fc.integer({ min: 0, max: 10 }),
  })
  .map((s) => ({
    bytes: ipv4({ ...s, protocol: s.transport.protocol, payload: s.transport.bytes, options: Buffer.alloc(s.optionWords * 4, 1) }),
    later: s.fragmentOffset > 0,
  }));

const extension: fc.Arbitrary<Ipv6Extension> = fc.oneof(
  fc.record({ type: fc.constantFrom(0 as const, 43 as const, 60 as const), units: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ type: fc.constant(44 as const), offset: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0x1fff })), more: fc.boolean(), id: fragmentId }),
  fc.record({ type: fc.constant(51 as const), payloadLen: fc.integer({ min: 1, max: 6 }) }),
);

const ipv6Packet = fc
  .record({ src: v6Address, dst: v6Address, transport, extensions: fc.array(extension, { maxLength: 4 }) })
  .map((s) => ({
    bytes: ipv6({ ...s, protocol: s.transport.protocol, payload: s.transport.bytes }),
    later: s.extensions.some((e) => e.type === 44 && e.offset > 0),
  }));

/** An IP packet, the EtherType and address family that name it, and whether it is a non-first fragment. */
const network = fc.oneof(
  ipv4Packet.map((p) => ({ ...p, etherType: ETHERTYPE.Ipv4, family: 2 })),
  ipv6Packet.chain((p) => fc.constantFrom(10, 24, 28, 30).map((family) => ({ ...p, etherType: ETHERTYPE.Ipv6, family }))),
);

const vlanTags = fc.array(fc.record({ tpid: fc.constantFrom(ETHERTYPE.Vlan, ETHERTYPE.QinQ, ETHERTYPE.QinQOld), vid: fc.integer({ min: 0, max: 4095 }) }), { maxLength: 3 });

type Network = { bytes: Buffer; etherType: number };

const pppProtocol = (n: Network) => (n.etherType === ETHERTYPE.Ipv4 ? PPP_PROTOCOL.Ipv4 : PPP_PROTOCOL.Ipv6);

/** A PPP frame around an IP packet: with or without address and control, protocol compressed or not. */
const pppFrame = (n: Network) => fc.record({ hdlc: fc.boolean(), compressed: fc.boolean() }).map((spec) => ppp(n.bytes, { ...spec, protocol: pppProtocol(n) }));

/**
 * What an EtherType can name on the way to an IP packet: the packet itself, or an MPLS stack,
 * a PPPoE session, LLC/SNAP (an 802.3 length field) or a PBB customer frame around it. Returns
 * the EtherType (or length) and the bytes after it.
 */
const etherPayload = (n: Network): fc.Arbitrary<{ etherType: number; body: Buffer }> =>
  fc.oneof(
    fc.constant({ etherType: n.etherType, body: n.bytes }),
    fc.array(fc.integer({ min: 0, max: 0xfffff }), { minLength: 1, maxLength: 4 }).map((labels) => ({ etherType: ETHERTYPE.Mpls, body: mplsStack(labels, n.bytes) })),
    fc.boolean().map((compressed) => ({ etherType: ETHERTYPE.PppoeSession, body: pppoe(ppp(n.bytes, { protocol: pppProtocol(n), compressed })) })),
    fc.constant(llcSnap(n.etherType, n.bytes)).map((body) => ({ etherType: body.length, body })),
    fc.record({ isid: fc.integer({ min: 0, max: 0xffffff }), tags: vlanTags }).map(({ isid, tags }) => ({ etherType: ETHERTYPE.PbbItag, body: pbbItag(isid, ethernet(n.bytes, { etherType: n.etherType, tags })) })),
  );

/** A well-formed frame of `linkType` around a random IPv4 or IPv6 packet, and whether that is a non-first fragment. */
export function framedPacketArb(linkType: number): fc.Arbitrary<{ frame: Buffer; later: boolean }> {
  switch (linkType) {
    case LINKTYPE.Ethernet:
      return fc
        .record({ n: network, tags: vlanTags, pad: fc.boolean() })
        .chain(({ n, tags, pad }) => etherPayload(n).map(({ etherType, body }) => ({ frame: ethernet(body, { etherType, tags, padTo: pad ? 60 : 0 }), later: n.later })));
    case LINKTYPE.Ppp:
    case LINKTYPE.PppHdlc:
      return network.chain((n) => pppFrame(n).map((frame) => ({ frame, later: n.later })));
    case LINKTYPE.PppEther:
      return network.chain((n) => fc.boolean().map((compressed) => ({ frame: pppoe(ppp(n.bytes, { protocol: pppProtocol(n), compressed })), later: n.later })));
    case LINKTYPE.CiscoHdlc:
      return network.map((n) => ({ frame: Buffer.concat([Buffer.of(0x0f, 0), u16(n.etherType), n.bytes]), later: n.later }));
    case LINKTYPE.Nflog:
      return fc
        .record({ n: network, endian: fc.constantFrom('le' as const, 'be' as const) })
        .map(({ n, endian }) => ({ frame: nflog(n.bytes, { family: n.etherType === ETHERTYPE.Ipv4 ? 2 : 10, endian }), later: n.later }));
    case LINKTYPE.LinuxSll:
      return network.map((n) => ({ frame: sll(n.bytes, n.etherType), later: n.later }));
    case LINKTYPE.LinuxSll2:
      return network.map((n) => ({ frame: sll2(n.bytes, n.etherType), later: n.later }));
    case LINKTYPE.Null:
      return fc.record({ n: network, endian: fc.constantFrom('le' as const, 'be' as const) }).map(({ n, endian }) => ({ frame: nullLink(n.bytes, n.family, endian), later: n.later }));
    case LINKTYPE.Loop:
      return network.map((n) => ({ frame: nullLink(n.bytes, n.family, 'be'), later: n.later }));
    case LINKTYPE.Ipv4:
      return ipv4Packet.map((p) => ({ frame: p.bytes, later: p.later }));
    case LINKTYPE.Ipv6:
      return ipv6Packet.map((p) => ({ frame: p.bytes, later: p.later }));
    default:
      return network.map((n) => ({ frame: n.bytes, later: n.later }));
  }
}

/** A well-formed frame of `linkType` around a random IPv4 or IPv6 packet. */
export const frameArb = (linkType: number): fc.Arbitrary<Buffer> => framedPacketArb(linkType).map((f) => f.frame);

/** A link type and a frame of it: well-formed, or plain random bytes. */
export const anyFrame: fc.Arbitrary<{ linkType: number; frame: Buffer }> = fc
  .constantFrom(...LINK_TYPES)
  .chain((linkType) => fc.oneof({ weight: 3, arbitrary: frameArb(linkType) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)) }).map((frame) => ({ linkType, frame })));
