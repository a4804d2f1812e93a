/**
 * Community ID v1 against the spec's published reference data (corelight/community-id-spec,
 * copied into community-id-baseline.ts), against an independent implementation of the spec's
 * byte layout, and through the whole pipeline: a capture of the baseline's packets, read into
 * flows and audited, gives each flow the baseline's ID.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { communityId, type CommunityIdFlow, flowCommunityId, icmpPorts } from '../../src/export/community-id.js';
import { type BaselineRow, PACKETS, TABLE } from './community-id-baseline.js';
import { ipProtocolName } from '../../src/net/ip-protocol.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { ethernet, ETHERTYPE, icmp as icmpMessage, ipv4, ipv6, LINKTYPE, TCP_FLAGS, tcp, udp } from '../../src/frame-builder.js';
import { pcapFile, type PcapSpec } from '../support/capture-writer.js';
import { tempDir } from '../support/temp-dir.js';
import { auditedFlowJson } from '../../src/export/audited-flow-json.js';
import { audit, flow, inventoryIndex, matrixFrom } from '../audit/audit-fixtures.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { RecordingSink } from '../support/recording-sink.js';

const NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const nameOf = (proto: number): string => NAMES[proto] ?? `ip-proto-${proto}`;
/** A baseline row with its protocol named, for it.each titles. */
const named = (rows: readonly BaselineRow[]): [string, string, number | null, string, number | null, string, string, string][] =>
  rows.map(([proto, sa, sp, da, dp, seed0, seed1, hex]) => [nameOf(proto), sa, sp, da, dp, seed0, seed1, hex]);

/** The baseline's one-way ICMP messages (destination unreachable, time exceeded): their second "port" is the code. */
const ONE_WAY_TYPES = new Set([1, 3, 11]);

describe('communityId', () => {
  it.each(named(PACKETS))(
    'baseline_*.json: %s %s:%s -> %s:%s, seeds 0 and 1, hex as without base64',
    (proto, sa, sp, da, dp, seed0, seed1, hex) => {
      // Port equivalents as the baseline lists them: one-way only for the types without a counterpart.
      const oneWay = (proto === 'icmp' || proto === 'icmpv6') && ONE_WAY_TYPES.has(sp!);
      expect(communityId(proto, sa, sp ?? 0, da, dp ?? 0, 0, oneWay)).toBe(seed0);
      expect(communityId(proto, sa, sp ?? 0, da, dp ?? 0, 1, oneWay)).toBe(seed1);
      expect(`1:${Buffer.from(seed0.slice(2), 'base64').toString('hex')}`).toBe(hex);
    },
  );

  it.each(named(TABLE))(
    'baseline/README.md tables: %s %s:%s -> %s:%s from the message type and code',
    (proto, sa, sp, da, dp, seed0, seed1, hex) => {
      const flow: CommunityIdFlow =
        proto === 'icmp' || proto === 'icmpv6'
          ? { client: { address: sa, port: 0 }, server: { address: da, port: 0 }, icmp: { type: sp!, code: dp! } }
          : { client: { address: sa, port: sp ?? 0 }, server: { address: da, port: dp ?? 0 } };
      expect(flowCommunityId(proto, flow)).toBe(seed0);
      expect(flowCommunityId(proto, flow, 1)).toBe(seed1);
      expect(`1:${Buffer.from(flowCommunityId(proto, flow).slice(2), 'base64').toString('hex')}`).toBe(hex);
    },
  );

  it("the spec README's examples: its sample ID, and both directions of a TCP 5-tuple ordered alike", () => {
    const solicitation: CommunityIdFlow = { client: { address: 'fe80::200:86ff:fe05:80da', port: 0 }, server: { address: 'ff02::2', port: 0 }, icmp: { type: 133, code: 0 } };
    expect(flowCommunityId('icmpv6', solicitation)).toBe('1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=');
    expect(communityId('tcp', '10.0.0.1', 1234, '127.0.0.1', 80)).toBe(communityId('tcp', '127.0.0.1', 80, '10.0.0.1', 1234));
  });

  it('equals an independent implementation of the byte layout, whichever end is given first', () => {
    const reference = (proto: number, a: string, ap: number, b: string, bp: number): string => {
      const bytes = (ip: string): Buffer => (isIP(ip) === 4 ? Buffer.from(ip.split('.').map(Number)) : v6(ip));
      let [src, sp, dst, dp] = [bytes(a), ap, bytes(b), bp];
      if (Buffer.compare(src, dst) > 0 || (Buffer.compare(src, dst) === 0 && sp > dp)) [src, sp, dst, dp] = [dst, dp, src, sp];
      const ports = Buffer.from([sp >> 8, sp & 0xff, dp >> 8, dp & 0xff]);
      const input = Buffer.concat([Buffer.from([0, 0]), src, dst, Buffer.from([proto, 0]), ports]);
      return `1:${createHash('sha1').update(input).digest('base64')}`;
    };
    const cases: [string, number, string, number, string, number][] = [
      ['tcp', 6, '10.0.0.1', 1234, '127.0.0.1', 80],
      ['tcp', 6, '127.0.0.1', 80, '10.0.0.1', 1234],
      ['udp', 17, '10.0.0.1', 53, '10.0.0.1', 40000],
      ['tcp', 6, 'fd00::1', 443, 'fd00::1:2', 50000],
      ['udp', 17, '2001:db8::ff00:42:8329', 5353, '2001:db8::1', 5353],
      ['tcp', 6, '255.255.255.255', 65535, '0.0.0.0', 1],
    ];
    for (const [name, number, a, ap, b, bp] of cases) {
      expect(communityId(name, a, ap, b, bp), `${a}:${ap} ${b}:${bp}`).toBe(reference(number, a, ap, b, bp));
      expect(communityId(name, b, bp, a, ap)).toBe(reference(number, a, ap, b, bp));
    }
  });

  it('an ICMP flow hashes its first message: echo as the two-way pair, others one-way, sender first', () => {
    expect(icmpPorts('icmp', 8, 0)).toEqual({ sourcePort: 8, destinationPort: 0, oneWay: false });
    expect(icmpPorts('icmpv6', 135, 0)).toEqual({ sourcePort: 135, destinationPort: 136, oneWay: false });
    expect(icmpPorts('icmp', 3, 3)).toEqual({ sourcePort: 3, destinationPort: 3, oneWay: true });
    const { audited } = auditFlows([
      flow({ client: '192.168.0.89:0', server: '192.168.0.1:0', protocol: 1, icmp: { type: 8, code: 0 } }),
      flow({ client: '192.168.0.1:0', server: '192.168.0.89:0', protocol: 1, icmp: { type: 3, code: 3 } }),
    ]);
    const ids = audited.map((f) => JSON.parse(auditedFlowJson(f)).community_id);
    // The spec's baseline vector for this echo request.
    expect(ids[0]).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    // One-way: the sender (the higher address here) stays first, ports type 3 and code 3.
    const input = Buffer.concat([Buffer.from([0, 0, 192, 168, 0, 1, 192, 168, 0, 89, 1, 0, 0, 3, 0, 3])]);
    expect(ids[1]).toBe(`1:${createHash('sha1').update(input).digest('base64')}`);
  });
});

describe('the Community ID of flows read from a capture of the baseline packets', () => {
  // Each baseline row becomes a packet (Ethernet, IPv4 or IPv6, the row's protocol and ports or
  // ICMP type and code), in the baseline's order; then the same tuples again, fragmented.
  const frames: Buffer[] = PACKETS.map(([proto, sa, sp, da, dp]) => frame(sa, da, proto, transport(proto, sp, dp)));
  // A 40-byte echo request in two IPv4 fragments: the second carries no ICMP header.
  const echo = icmpMessage({ type: 8, rest: Buffer.alloc(36, 0x61) });
  frames.push(
    frame('192.168.0.89', '192.168.0.1', 1, echo.subarray(0, 24), { id: 0x4242, moreFragments: true }),
    frame('192.168.0.89', '192.168.0.1', 1, echo.subarray(24), { id: 0x4242, fragmentOffset: 3 }),
  );
  // A TCP segment of the IPv6 flow in two fragments (fragment header, offsets in 8-byte units).
  const segment = tcp({ srcPort: 63943, dstPort: 25, flags: TCP_FLAGS.ACK | TCP_FLAGS.PSH, payload: Buffer.alloc(40, 0x62) });
  const [v6a, v6b] = ['2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a'];
  frames.push(
    ethernet(ipv6({ src: v6a, dst: v6b, protocol: 6, payload: segment.subarray(0, 32), extensions: [{ type: 44, offset: 0, more: true, id: 9 }] }), { etherType: ETHERTYPE.Ipv6 }),
    ethernet(ipv6({ src: v6a, dst: v6b, protocol: 6, payload: segment.subarray(32), extensions: [{ type: 44, offset: 4, more: false, id: 9 }] }), { etherType: ETHERTYPE.Ipv6 }),
  );
  const path = temp.write('baseline.pcap', pcapFile(PCAP, frames.map((data, i) => ({ seconds: 1_600_000_000, fraction: i * 1000, data }))));

  it('every flow carries the ID the baseline gives each of its packets, through the audit record and with seed 1', async () => {
    const recording = new RecordingSink();
    const { flows: records } = recording;
    const result = await readFlows([path], recording, { table: { payloadLimit: 0 } });
    expect(result.decode).toEqual({ ok: frames.length });
    const ids = auditFlows(records).audited.map((f) => JSON.parse(auditedFlowJson(f)).community_id);
    for (const [proto, sa, sp, da, dp, seed0, seed1] of PACKETS) {
      const at = records.findIndex((r) => r.protocol === proto && sameEnds(r, `${sa}:${sp ?? 0}`, `${da}:${dp ?? 0}`));
      expect(at, `a flow holds ${sa}:${sp} -> ${da}:${dp}`).toBeGreaterThanOrEqual(0);
      expect(ids[at], `${proto} ${sa}:${sp} -> ${da}:${dp}`).toBe(seed0);
      expect(flowCommunityId(ipProtocolName(proto), records[at], 1)).toBe(seed1);
    }
    // One flow per distinct ID: a request and its reply share one, other messages get their own.
    expect(records).toHaveLength(new Set(PACKETS.map((row) => row[5])).size);
  });

  it('later fragments join their flow, whose ID stays the baseline one (ICMP echo, TCP over IPv6)', async () => {
    const recording = new RecordingSink();
    const { flows: records } = recording;
    await readFlows([path], recording, { table: { payloadLimit: 0 } });
    const ids = auditFlows(records).audited.map((f) => JSON.parse(auditedFlowJson(f)).community_id);
    const fragmented = records.flatMap((r, i) => (r.laterFragments > 0 ? [[ipProtocolName(r.protocol), ids[i]]] : []));
    expect(fragmented).toEqual([
      ['icmp', '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
      ['tcp', '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
    ]);
  });
});

const temp = tempDir('capture');
const PCAP: PcapSpec = { endian: 'le', linkType: LINKTYPE.Ethernet };

function frame(src: string, dst: string, protocol: number, payload: Buffer, fragment: { id?: number; moreFragments?: boolean; fragmentOffset?: number } = {}): Buffer {
  return isIP(src) === 4
    ? ethernet(ipv4({ src, dst, protocol, payload, ...fragment }), { etherType: ETHERTYPE.Ipv4 })
    : ethernet(ipv6({ src, dst, protocol, payload }), { etherType: ETHERTYPE.Ipv6 });
}

/** A baseline row's transport header: ports for TCP, UDP and SCTP; type and code for ICMP; some bytes otherwise. */
function transport(proto: number, sp: number | null, dp: number | null): Buffer {
  switch (proto) {
    case 6:
      return tcp({ srcPort: sp!, dstPort: dp!, flags: TCP_FLAGS.ACK });
    case 17:
      return udp({ srcPort: sp!, dstPort: dp!, payload: Buffer.alloc(12) });
    case 132:
      // Common header (ports, verification tag, checksum), then a HEARTBEAT chunk header.
      return Buffer.concat([Buffer.from([sp! >> 8, sp! & 0xff, dp! >> 8, dp! & 0xff]), Buffer.alloc(8), Buffer.from([4, 0, 0, 4])]);
    case 1:
    case 58:
      return icmpMessage({ type: sp!, code: ONE_WAY_TYPES.has(sp!) ? dp! : 0 });
    default:
      return Buffer.alloc(16, 0x46);
  }
}

function sameEnds(r: FlowRecord, a: string, b: string): boolean {
  const ends = [r.client, r.server].map((e) => `${e.address}:${e.port}`);
  return (ends[0] === a && ends[1] === b) || (ends[0] === b && ends[1] === a);
}

/** Audits flows against a matrix every address belongs to: only their records' IDs matter here. */
function auditFlows(flows: FlowRecord[]): ReturnType<typeof audit> {
  const matrix = matrixFrom(`apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata: { name: cid, title: Community ID }
components:
  any:
    match:
      - internal: true
      - external: true
connections:
  - { id: any-web, from: any, to: any, protocol: tcp, ports: [80], security: none }
`);
  return audit(matrix, inventoryIndex('entries: []\n'), flows);
}

/** IPv6 text to 16 bytes, written out here so the reference shares no code with the product. */
function v6(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}
