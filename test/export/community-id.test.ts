/**
 * Community ID v1 against the spec's published baseline (corelight/community-id-spec,
 * baseline/baseline_deflt.json and baseline_seed1.json), against an independent implementation
 * of the spec's byte layout, and through the audited-flow record.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { communityId, icmpPorts } from '../../src/export/community-id.js';
import { auditedFlowJson } from '../../src/export/audited-flow-json.js';
import { audit, flow, inventoryIndex, matrixFrom } from '../audit/audit-fixtures.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';

/** [protocol name, saddr, sport, daddr, dport, seed 0, seed 1]; ICMP ports are type and counter-type/code as the baseline lists them. */
const BASELINE: [string, string, number, string, number, string, string][] = [
  ['tcp', '128.232.110.120', 34855, '66.35.250.204', 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  ['udp', '192.168.1.52', 54585, '8.8.8.8', 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  ['tcp', '2001:470:e5bf:dead:4957:2174:e82c:4887', 63943, '2607:f8b0:400c:c03::1a', 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  ['icmp', '192.168.0.89', 8, '192.168.0.1', 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  ['icmpv6', 'fe80::200:86ff:fe05:80da', 135, 'fe80::260:97ff:fe07:69ea', 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  ['icmpv6', '3ffe:507:0:1:200:86ff:fe05:80da', 128, '3ffe:501:0:1001::2', 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ='],
  ['ip-proto-132', '192.168.170.8', 7, '192.168.170.56', 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
];

describe('communityId', () => {
  it.each(BASELINE)('%s %s:%i -> %s:%i matches the spec baseline, both directions', (proto, sa, sp, da, dp, seed0, seed1) => {
    expect(communityId(proto, sa, sp, da, dp)).toBe(seed0);
    expect(communityId(proto, da, dp, sa, sp)).toBe(seed0);
    expect(communityId(proto, sa, sp, da, dp, 1)).toBe(seed1);
    expect(communityId(proto, da, dp, sa, sp, 1)).toBe(seed1);
  });

  it('protocols without ports hash without them (baseline: RSVP, IP protocol 46)', () => {
    expect(communityId('ip-proto-46', '10.1.12.1', 0, '10.1.12.2', 0)).toBe('1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=');
    expect(communityId('ip-proto-46', '10.1.12.2', 0, '10.1.12.1', 0)).toBe('1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=');
    expect(communityId('ip-proto-46', '10.1.12.1', 0, '10.1.12.2', 0, 1)).toBe('1:rYir8gphR31noO9iDRQmF/BteEI=');
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

  it('a flow record carries the Community ID of its 5-tuple', () => {
    const { audited } = auditFlows([
      flow({ client: '128.232.110.120:34855', server: '66.35.250.204:80' }),
      flow({ client: '66.35.250.204:80', server: '128.232.110.120:34855' }),
      flow({ client: '[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943', server: '[2607:f8b0:400c:c03::1a]:25' }),
    ]);
    expect(audited.map((f) => auditedFlowJson(f).community_id)).toEqual([
      '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
      '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
    ]);
  });

  it('an ICMP flow hashes its first message: echo as the two-way pair, others one-way, sender first', () => {
    expect(icmpPorts('icmp', 8, 0)).toEqual({ sourcePort: 8, destinationPort: 0, oneWay: false });
    expect(icmpPorts('icmpv6', 135, 0)).toEqual({ sourcePort: 135, destinationPort: 136, oneWay: false });
    expect(icmpPorts('icmp', 3, 3)).toEqual({ sourcePort: 3, destinationPort: 3, oneWay: true });
    const { audited } = auditFlows([
      flow({ client: '192.168.0.89:0', server: '192.168.0.1:0', protocol: 1, icmp: { type: 8, code: 0 } }),
      flow({ client: '192.168.0.1:0', server: '192.168.0.89:0', protocol: 1, icmp: { type: 3, code: 3 } }),
    ]);
    const ids = audited.map((f) => auditedFlowJson(f).community_id);
    // The spec's baseline vector for this echo request.
    expect(ids[0]).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    // One-way: the sender (the higher address here) stays first, ports type 3 and code 3.
    const input = Buffer.concat([Buffer.from([0, 0, 192, 168, 0, 1, 192, 168, 0, 89, 1, 0, 0, 3, 0, 3])]);
    expect(ids[1]).toBe(`1:${createHash('sha1').update(input).digest('base64')}`);
  });
});

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
