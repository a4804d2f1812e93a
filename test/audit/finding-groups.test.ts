/**
 * How the report groups findings: unknown peers by their DNS name (SNI, else a DNS answer seen
 * before the flow) or their /24 or /64 network, with their distinct addresses counted, and the
 * groups in the order of importance the summary shows them.
 */
import { describe, expect, it } from 'vitest';
import { AuditReport, PEER_ADDRESSES_COUNTED } from '../../src/audit/audit-report.js';
import { Auditor } from '../../src/audit/auditor.js';
import { peerNetwork } from '../../src/audit/peer-network.js';
import { DnsNameCache } from '../../src/identity/dns-name-cache.js';
import { clientHelloBody, handshake, record, sniExtension } from '../support/tls-records.js';
import { REPORT_MATRIX } from '../export/report-scenario.js';
import { flow, HTTP_GET, inventoryIndex, matrixFrom } from './audit-fixtures.js';

const matrix = matrixFrom(REPORT_MATRIX);
const T = 1_700_000_000;

function hello(serverName: string): Buffer {
  return record(0x16, handshake(1, clientHelloBody({ extensions: [sniExtension(serverName)] })));
}

function report(flows: ReturnType<typeof flow>[], dnsNames?: DnsNameCache): AuditReport {
  const r = new AuditReport(matrix, false, dnsNames);
  const auditor = new Auditor(matrix, inventoryIndex('entries: []\n'), [r]);
  for (const f of flows) auditor.onFlow(f);
  return r;
}

function summary(r: AuditReport): string[] {
  return r.violationGroups().map((g) => `${g.kind} ${g.from} -> ${g.to} ${g.protocol}/${g.port}: ${g.flows} flows, ${g.peerAddresses.size} addresses`);
}

describe('peerNetwork', () => {
  it('is the /24 of an IPv4 address and the /64 of an IPv6 one', () => {
    expect(peerNetwork('198.51.100.77')).toBe('198.51.100.0/24');
    expect(peerNetwork('2001:db8:1:2:aa:bb:cc:dd')).toBe('2001:db8:1:2::/64');
    expect(peerNetwork('fe80::1')).toBe('fe80::/64');
    expect(peerNetwork('not-an-address')).toBe('not-an-address');
  });
});

describe('unknown peers', () => {
  it('group by network and server port, counting their distinct addresses', () => {
    const flows = [
      ...Array.from({ length: 300 }, (_, i) => flow({ client: `10.0.1.5:${40000 + i}`, server: `198.51.100.${i % 200}:443` })),
      flow({ client: '10.0.1.5:41000', server: '198.51.101.1:443' }),
      flow({ client: '10.0.1.5:41001', server: '198.51.100.1:8443' }),
      flow({ client: '[2001:db8:1:2::10]:41002', server: '10.0.2.8:443' }),
      flow({ client: '[2001:db8:1:2::11]:41003', server: '10.0.2.8:443' }),
      flow({ client: '[2001:db8:1:3::11]:41004', server: '10.0.2.8:443' }),
    ];
    expect(summary(report(flows))).toEqual([
      'unknown-peer web -> 198.51.100.0/24 tcp/443: 300 flows, 200 addresses',
      'unknown-peer 2001:db8:1:2::/64 -> api tcp/443: 2 flows, 2 addresses',
      'unknown-peer 2001:db8:1:3::/64 -> api tcp/443: 1 flows, 1 addresses',
      'unknown-peer web -> 198.51.100.0/24 tcp/8443: 1 flows, 1 addresses',
      'unknown-peer web -> 198.51.101.0/24 tcp/443: 1 flows, 1 addresses',
    ]);
  });

  it('a server named by its SNI or by an earlier DNS answer groups by that name', () => {
    const dns = new DnsNameCache({ graceSeconds: 0 });
    dns.learn('198.51.100.20', 'api.partner.example', 60, T - 10);
    const flows = [
      flow({ client: '10.0.1.5:40001', server: '198.51.100.10:443', toServer: hello('cdn.example'), firstSeen: T }),
      flow({ client: '10.0.1.5:40002', server: '203.0.113.9:443', toServer: hello('cdn.example'), firstSeen: T }),
      flow({ client: '10.0.1.5:40003', server: '198.51.100.20:443', firstSeen: T }),
      // The answer had expired when this one began: its network names it.
      flow({ client: '10.0.1.5:40004', server: '198.51.100.20:443', firstSeen: T + 100 }),
    ];
    expect(summary(report(flows, dns))).toEqual([
      'unknown-peer web -> cdn.example tcp/443: 2 flows, 2 addresses',
      'unknown-peer web -> 198.51.100.0/24 tcp/443: 1 flows, 1 addresses',
      'unknown-peer web -> api.partner.example tcp/443: 1 flows, 1 addresses',
    ]);
  });

  it('count at most PEER_ADDRESSES_COUNTED addresses a group', () => {
    const flows = Array.from({ length: PEER_ADDRESSES_COUNTED + 50 }, (_, i) => flow({ client: `[2001:db8::${(i + 1).toString(16)}]:40000`, server: '10.0.2.8:443' }));
    const [group] = report(flows).violationGroups();
    expect(group.flows).toBe(PEER_ADDRESSES_COUNTED + 50);
    expect(group.peerAddresses.size).toBe(PEER_ADDRESSES_COUNTED);
  });
});

describe('order', () => {
  it('most important kind first, then most flows, then most bytes', () => {
    const flows = [
      ...Array.from({ length: 5 }, (_, i) => flow({ client: `172.16.0.${i + 1}:40000`, server: '10.0.2.8:443' })),
      ...Array.from({ length: 3 }, (_, i) => flow({ client: `10.0.1.5:${40010 + i}`, server: '10.0.3.3:22' })),
      flow({ client: '10.0.1.5:40020', server: '10.0.3.3:23', bytes: [1, 1] }),
      flow({ client: '10.0.1.5:40021', server: '10.0.3.3:25', bytes: [900, 900] }),
      flow({ client: '10.0.2.8:40030', server: '10.0.1.5:443' }),
      flow({ client: '10.0.1.5:40040', server: '10.0.2.8:443', toServer: HTTP_GET }),
      flow({ client: '10.0.1.6:40050', server: '10.0.2.9:443' }),
    ];
    expect(report(flows).violationGroups().map((g) => `${g.kind} ${g.protocol}/${g.port}`)).toEqual([
      'insecure tcp/443',
      'wrong-initiator tcp/443',
      'unexpected tcp/22',
      'unexpected tcp/25',
      'unexpected tcp/23',
      'unknown-peer tcp/443',
      'unverified tcp/443',
    ]);
  });
});
