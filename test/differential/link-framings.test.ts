/**
 * flowaudit's flows against tshark's on real traffic in each framing the link layer decodes: the
 * frames of traffic.pcap (TCP, TLS, UDP, fragments, ICMP; test/fixtures/README.md) wrapped in
 * MPLS, PPP, PPP_HDLC, MPLS over PPP, Cisco HDLC, PPPoE (bare and over QinQ), LLC/SNAP and 802.1ah
 * PBB, with a few frames of each framing's undecoded kinds added; and nflog.pcap, recorded through
 * the kernel's NFLOG target (test/fixtures/make-nflog-capture.sh). Same TCP and UDP flows
 * (endpoints, initiator, packets and IP bytes each way) as tshark's streams, same ICMP packets and
 * bytes, every other frame counted by its reason.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ethernet, ETHERTYPE, LINKTYPE, llcSnap, mplsStack, pbbItag, ppp, PPP_PROTOCOL, pppoe } from '../../src/frame-builder.js';
import { pcapFile, type PcapRecord } from '../support/capture-writer.js';
import { readPcap } from '../support/pcap-records.js';
import {
  CAPTURE_DIR,
  comparableFlow,
  comparableStream,
  flowauditFlows,
  gate,
  ipBytes,
  missingTools,
  sortShapes,
  tsharkFrames,
  tsharkStreams,
} from '../support/tshark.js';
import { tempDir } from '../support/temp-dir.js';

const tools = gate(missingTools(['tshark']));

const ORIGINAL = readPcap(readFileSync(join(CAPTURE_DIR, 'traffic.pcap')));
const ETHERNET_HEADER = 14;

/** One traffic.pcap frame: its EtherType and what follows the Ethernet header (it has no VLAN tags). */
interface Frame {
  record: PcapRecord;
  etherType: number;
  network: Buffer;
}

const FRAMES: Frame[] = ORIGINAL.records.map((record) => {
  if (record.originalLength !== record.data.length) throw new Error('traffic.pcap: a frame cut by the snaplen cannot be rewrapped');
  return { record, etherType: record.data.readUInt16BE(12), network: record.data.subarray(ETHERNET_HEADER) };
});

const isIp = (f: Frame) => f.etherType === ETHERTYPE.Ipv4 || f.etherType === ETHERTYPE.Ipv6;
const pppProtocol = (f: Frame) => (f.etherType === ETHERTYPE.Ipv4 ? PPP_PROTOCOL.Ipv4 : PPP_PROTOCOL.Ipv6);
const customer = (network: Buffer, etherType: number) => ethernet(network, { etherType });

/** Extra frames of a framing's undecoded kinds, and the reason each is counted under. */
interface Extra {
  data: Buffer;
  reason: string;
}

interface Framing {
  name: string;
  linkType: number;
  /** The frame rewrapped, or null to leave it out of the file. */
  wrap(f: Frame): Buffer | null;
  extras: Extra[];
}

const QINQ = [
  { tpid: ETHERTYPE.QinQ, vid: 300 },
  { tpid: ETHERTYPE.Vlan, vid: 20 },
];
const lcpEchoRequest = Buffer.of(0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78);
const arpInside = FRAMES.find((f) => f.etherType === ETHERTYPE.Arp)!;

const FRAMINGS: Framing[] = [
  {
    name: 'MPLS, two labels',
    linkType: LINKTYPE.Ethernet,
    wrap: (f) => (isIp(f) ? ethernet(mplsStack([1000, 2000], f.network), { etherType: ETHERTYPE.Mpls }) : f.record.data),
    // An Ethernet pseudowire with its control word, carrying an ARP frame.
    extras: [{ data: ethernet(mplsStack([1000, 3000], Buffer.concat([Buffer.alloc(4), arpInside.record.data])), { etherType: ETHERTYPE.Mpls }), reason: 'mpls-pseudowire' }],
  },
  {
    name: 'PPP (LINKTYPE_PPP) with address and control',
    linkType: LINKTYPE.Ppp,
    wrap: (f) => (isIp(f) ? ppp(f.network, { hdlc: true, protocol: pppProtocol(f) }) : null),
    extras: [{ data: ppp(lcpEchoRequest, { hdlc: true, protocol: PPP_PROTOCOL.Lcp }), reason: 'not-ip' }],
  },
  {
    name: 'PPP_HDLC with compressed protocols',
    linkType: LINKTYPE.PppHdlc,
    wrap: (f) => (isIp(f) ? ppp(f.network, { hdlc: true, compressed: true, protocol: pppProtocol(f) }) : null),
    extras: [],
  },
  {
    name: 'MPLS over PPP',
    linkType: LINKTYPE.Ppp,
    wrap: (f) => (isIp(f) ? ppp(mplsStack([4000], f.network), { hdlc: true, protocol: PPP_PROTOCOL.Mpls }) : null),
    extras: [],
  },
  {
    name: 'Cisco HDLC (LINKTYPE_C_HDLC)',
    linkType: LINKTYPE.CiscoHdlc,
    wrap: (f) => Buffer.concat([Buffer.of(0x0f, 0x00), f.record.data.subarray(12)]),
    extras: [],
  },
  {
    name: 'PPPoE without Ethernet (LINKTYPE_PPP_ETHER)',
    linkType: LINKTYPE.PppEther,
    wrap: (f) => (isIp(f) ? pppoe(ppp(f.network, { protocol: pppProtocol(f) })) : null),
    extras: [],
  },
  {
    name: 'PPPoE sessions over QinQ',
    linkType: LINKTYPE.Ethernet,
    wrap: (f) => (isIp(f) ? ethernet(pppoe(ppp(f.network, { protocol: pppProtocol(f) })), { etherType: ETHERTYPE.PppoeSession, tags: QINQ }) : f.record.data),
    extras: [
      // PADI with a Service-Name tag, and a session's LCP echo.
      { data: ethernet(pppoe(Buffer.of(0x01, 0x01, 0x00, 0x00), { code: 0x09, session: 0 }), { etherType: ETHERTYPE.PppoeDiscovery, tags: QINQ }), reason: 'pppoe-discovery' },
      { data: ethernet(pppoe(ppp(lcpEchoRequest, { protocol: PPP_PROTOCOL.Lcp })), { etherType: ETHERTYPE.PppoeSession, tags: QINQ }), reason: 'not-ip' },
    ],
  },
  {
    name: 'LLC/SNAP behind 802.3 length fields',
    linkType: LINKTYPE.Ethernet,
    // An 802.3 frame holds at most 1500 bytes, 8 of them LLC and SNAP: the larger packets stay out.
    wrap: (f) => {
      const body = llcSnap(f.etherType, f.network);
      return body.length <= 1500 ? ethernet(body, { etherType: body.length }) : null;
    },
    // A spanning-tree configuration BPDU.
    extras: [{ data: ethernet(Buffer.concat([Buffer.of(0x42, 0x42, 0x03), Buffer.alloc(35)]), { etherType: 38 }), reason: 'llc-not-snap' }],
  },
  {
    name: '802.1ah PBB behind a B-TAG',
    linkType: LINKTYPE.Ethernet,
    wrap: (f) => ethernet(pbbItag(0x00abcd, customer(f.network, f.etherType)), { etherType: ETHERTYPE.PbbItag, tags: [{ tpid: ETHERTYPE.QinQ, vid: 10 }] }),
    extras: [],
  },
];

const dir = tempDir('link-framings').path;

/** Writes the framing's file: the rewrapped frames at their times, then the extras one second after the last. */
function writeFraming(framing: Framing): { path: string; extras: Record<string, number> } {
  const records: PcapRecord[] = [];
  for (const f of FRAMES) {
    const data = framing.wrap(f);
    if (data !== null) records.push({ seconds: f.record.seconds, fraction: f.record.fraction, data });
  }
  const last = records[records.length - 1].seconds;
  const extras: Record<string, number> = {};
  for (const e of framing.extras) {
    records.push({ seconds: last + 1, fraction: 0, data: e.data });
    extras[e.reason] = (extras[e.reason] ?? 0) + 1;
  }
  const path = join(dir, `${framing.name.replace(/[^a-z0-9]+/gi, '-')}.pcap`);
  writeFileSync(path, pcapFile({ ...ORIGINAL.spec, linkType: framing.linkType }, records));
  return { path, extras };
}

const CASES = [
  ...FRAMINGS.map((framing) => ({ name: framing.name, icmp: true, ...writeFraming(framing) })),
  // NFLOG logged only the TCP of its rules; none of it undecoded.
  { name: 'NFLOG, recorded on loopback', path: join(CAPTURE_DIR, 'nflog.pcap'), icmp: false, extras: {} as Record<string, number> },
];

describe.each(CASES)('$name', ({ path, icmp, extras }) => {
  it.skipIf(tools.skip)(`has tshark's TCP and UDP flows: endpoints, initiator, packets and IP bytes each way${tools.suffix}`, () => {
    tools.assertAvailable();
    const ours = flowauditFlows([path]).flows;
    let compared = 0;
    for (const protocol of ['tcp', 'udp'] as const) {
      const theirs = tsharkStreams(path, protocol);
      compared += theirs.length;
      expect(sortShapes(ours.filter((f) => f.protocol === protocol).map(comparableFlow)), protocol).toEqual(sortShapes(theirs.map(comparableStream)));
    }
    expect(compared).toBeGreaterThanOrEqual(4);
  });

  // NFLOG's file holds no ICMP: there is nothing to compare.
  if (icmp) {
    it.skipIf(tools.skip)(`has tshark's ICMP and ICMPv6 packets and bytes${tools.suffix}`, () => {
      tools.assertAvailable();
      const ours = flowauditFlows([path]).flows;
      const frames = tsharkFrames(path);
      expect(frames.filter((r) => r['icmp.type'] !== '' || r['icmpv6.type'] !== '').length).toBeGreaterThan(0);
      for (const [protocol, field] of [
        ['icmp', 'icmp.type'],
        ['icmpv6', 'icmpv6.type'],
      ] as const) {
        const rows = frames.filter((r) => r[field] !== '');
        const flows = ours.filter((f) => f.protocol === protocol);
        expect(flows.reduce((n, f) => n + f.toServer.packets + f.toClient.packets, 0), `${protocol} packets`).toBe(rows.length);
        expect(flows.reduce((n, f) => n + f.toServer.bytes + f.toClient.bytes, 0), `${protocol} bytes`).toBe(rows.reduce((n, r) => n + ipBytes(r)!, 0));
      }
    });
  }

  it.skipIf(tools.skip)(`decodes every frame tshark finds IP in, and counts the rest by reason${tools.suffix}`, () => {
    tools.assertAvailable();
    const frames = tsharkFrames(path);
    const ip = frames.filter((r) => ipBytes(r) !== null).length;
    const { ok = 0, 'fragment-without-first': orphans = 0, ...rest } = flowauditFlows([path]).decode;
    // A later fragment whose first one stayed out of the file is IP to both, a flow to neither.
    expect(ok + orphans).toBe(ip);
    expect(rest).toEqual(notIp(frames.length - ip - Object.values(extras).reduce((a, b) => a + b, 0), extras));
  });
});

/** The expected reasons besides ok: the extras, and ARP (not IP) where the framing kept it. */
function notIp(arp: number, extras: Record<string, number>): Record<string, number> {
  const out = { ...extras };
  if (arp > 0) out['not-ip'] = (out['not-ip'] ?? 0) + arp;
  return out;
}
