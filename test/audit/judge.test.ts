/**
 * Every verdict kind, through the real pipeline stage: a matrix loaded from YAML, identities from
 * an inventory, flow records with real TLS and HTTP first bytes, judged by the Auditor.
 */
import { describe, expect, it } from 'vitest';
import type { AuditedFlow } from '../../src/audit/audited-flow.js';
import { observeSecurity } from '../../src/audit/observe-security.js';
import type { Verdict } from '../../src/audit/verdict.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { audit, EMPTY, flow, HTTP_GET, HTTP_OK, inventoryIndex, kubernetesIndex, list, matrixFrom, node, pod, service, TLS_APP_DATA, TLS_CLIENT_HELLO, TLS_SERVER_HELLO, type FlowSpec } from './audit-fixtures.js';

const MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: judge
  title: Judge test matrix
unmatched: violation
components:
  web:
    match:
      - cidrs: ["10.0.1.0/24"]
  api:
    match:
      - cidrs: ["10.0.2.0/24"]
  db:
    match:
      - cidrs: ["10.0.3.0/24"]
  cache:
    match:
      - cidrs: ["10.0.4.0/24"]
  peer:
    match:
      - cidrs: ["10.0.5.0/24"]
  prober:
    match:
      - cidrs: ["10.0.1.9/32"]
  backup:
    match: []
connections:
  - id: web-to-api-http
    from: web
    to: api
    protocol: tcp
    ports: [8080]
    security: none
  - id: web-to-api-tls
    from: web
    to: api
    protocol: tcp
    ports: [443]
    security: tls
  - id: web-to-db-mtls
    from: web
    to: db
    protocol: tcp
    ports: [9042]
    security: mtls
  - id: web-to-cache-tls12
    from: web
    to: cache
    protocol: tcp
    ports: [6379]
    security: tls
    minTlsVersion: "1.2"
  - id: peer-gossip
    from: peer
    to: peer
    protocol: tcp
    ports: ["7000-7001"]
    security: none
    initiator: both
  - id: db-peer-sync
    from: db
    to: peer
    protocol: tcp
    ports: ["9000-9010"]
    security: none
    initiator: both
  - id: prober-to-api
    from: prober
    to: api
    protocol: tcp
    ports: [443]
    security: none
  - id: db-to-backup
    from: db
    to: backup
    protocol: tcp
    ports: [7199]
    security: none
    severity: notice
  - id: backup-to-db
    from: backup
    to: db
    protocol: tcp
    ports: [7200]
    security: tls
    severity: notice
  - id: web-dns
    from: web
    to: api
    protocol: udp
    ports: [53]
    security: none
`;

const INVENTORY = `entries:
  - name: backup-host
    addresses: ["10.0.6.7"]
    components: [backup]
`;

const matrix = matrixFrom(MATRIX);
const identities = inventoryIndex(INVENTORY);

function judge(spec: FlowSpec): AuditedFlow {
  const { audited } = audit(matrix, identities, [flow(spec)]);
  expect(audited).toHaveLength(1);
  return audited[0];
}

function verdictOf(spec: FlowSpec): Verdict {
  return judge(spec).verdict;
}

const tlsBothWays = { toServer: TLS_CLIENT_HELLO, toClient: TLS_SERVER_HELLO };
const http = { toServer: HTTP_GET, toClient: HTTP_OK };

describe('allowed', () => {
  it('security none: any payload is allowed, and the observed security is reported', () => {
    expect(verdictOf({ client: '10.0.1.5:40000', server: '10.0.2.8:8080', ...http })).toEqual({
      clientRole: 'web',
      serverRole: 'api',
      kind: 'allowed',
      reason: 'Rule web-to-api-http allows web -> api and requires no security',
      ruleId: 'web-to-api-http',
      notice: false,
      security: { grade: 'plaintext', detail: 'plaintext (http)' },
    });
  });

  it('a TLS rule with a TLS handshake both ways', () => {
    expect(verdictOf({ client: '10.0.1.5:40001', server: '10.0.2.8:443', ...tlsBothWays })).toEqual({
      clientRole: 'web',
      serverRole: 'api',
      kind: 'allowed',
      reason: "Rule web-to-api-tls allows web -> api over TLS; the capture shows TLS 1.2, client certificate not established, no CertificateRequest or ServerHelloDone: the server's bytes end at 47 (no more bytes seen)",
      ruleId: 'web-to-api-tls',
      notice: false,
      security: { grade: 'tls', detail: "TLS 1.2, client certificate not established, no CertificateRequest or ServerHelloDone: the server's bytes end at 47 (no more bytes seen)", tlsVersion: '1.2', cipherSuite: 0xc02f },
    });
  });

  it('a TLS rule with a ClientHello and no answer captured', () => {
    const v = verdictOf({ client: '10.0.1.5:40002', server: '10.0.2.8:443', toServer: TLS_CLIENT_HELLO });
    expect(v.kind).toBe('allowed');
    expect(v.reason).toBe('Rule web-to-api-tls allows web -> api over TLS; the capture shows TLS (version not seen), client certificate not established, no ServerHello: the server sent no payload');
  });

  it('UDP on a UDP rule', () => {
    const v = verdictOf({ client: '10.0.1.5:5353', server: '10.0.2.8:53', protocol: 17, toServer: Buffer.from([0x12, 0x34, 1, 0]) });
    expect(v.kind).toBe('allowed');
    expect(v.ruleId).toBe('web-dns');
  });
});

describe('unverified', () => {
  it('a TLS rule and no payload at all', () => {
    expect(verdictOf({ client: '10.0.1.5:40010', server: '10.0.2.8:443' })).toEqual({
      clientRole: 'web',
      serverRole: 'api',
      kind: 'unverified',
      reason: 'Rule web-to-api-tls requires TLS for web -> api, which the capture cannot prove: no payload captured',
      ruleId: 'web-to-api-tls',
      notice: false,
      security: { grade: 'unknown', detail: 'no payload captured' },
    });
  });

  it('says when the payload was not kept because the prefix budget was spent', () => {
    const v = verdictOf({ client: '10.0.1.5:40011', server: '10.0.2.8:443', payloadStop: 'budget' });
    expect(v.kind).toBe('unverified');
    expect(v.reason).toBe('Rule web-to-api-tls requires TLS for web -> api, which the capture cannot prove: payload not kept (prefix budget spent)');
  });

  it('an mTLS rule with TLS seen: the client certificate cannot be established', () => {
    const v = verdictOf({ client: '10.0.1.5:40012', server: '10.0.3.3:9042', ...tlsBothWays });
    expect(v.kind).toBe('unverified');
    expect(v.ruleId).toBe('web-to-db-mtls');
    expect(v.reason).toBe("Rule web-to-db-mtls requires mTLS for web -> db, which the capture cannot prove: TLS 1.2, client certificate not established, no CertificateRequest or ServerHelloDone: the server's bytes end at 47 (no more bytes seen)");
  });

  it('a rule with minTlsVersion and no ServerHello: the version cannot be established', () => {
    const v = verdictOf({ client: '10.0.1.5:40013', server: '10.0.4.4:6379', toServer: TLS_CLIENT_HELLO });
    expect(v.kind).toBe('unverified');
    expect(v.reason).toBe('Rule web-to-cache-tls12 requires TLS 1.2 or later for web -> cache, which the capture cannot prove: TLS (version not seen), client certificate not established, no ServerHello: the server sent no payload');
  });

  it('a rule with minTlsVersion met by the negotiated version is allowed', () => {
    const v = verdictOf({ client: '10.0.1.5:40015', server: '10.0.4.4:6379', ...tlsBothWays });
    expect(v.kind).toBe('allowed');
    expect(v.security.tlsVersion).toBe('1.2');
  });

  it('TLS application data without a handshake (a connection picked up mid-stream) is unproven, not plaintext', () => {
    const v = verdictOf({ client: '10.0.1.5:40014', server: '10.0.2.8:443', toServer: TLS_APP_DATA, toClient: TLS_APP_DATA });
    expect(v.kind).toBe('unverified');
    expect(v.reason).toBe('Rule web-to-api-tls requires TLS for web -> api, which the capture cannot prove: TLS records, no handshake captured');
    expect(v.security.grade).toBe('unknown');
  });
});

describe('insecure', () => {
  it('plaintext HTTP on a TLS rule', () => {
    expect(verdictOf({ client: '10.0.1.5:40020', server: '10.0.2.8:443', ...http })).toEqual({
      clientRole: 'web',
      serverRole: 'api',
      kind: 'insecure',
      reason: 'Rule web-to-api-tls requires TLS for web -> api, but the capture shows plaintext (http)',
      ruleId: 'web-to-api-tls',
      notice: false,
      security: { grade: 'plaintext', detail: 'plaintext (http)' },
    });
  });

  it('unrecognised plaintext on an mTLS rule', () => {
    const v = verdictOf({ client: '10.0.1.5:40021', server: '10.0.3.3:9042', toServer: Buffer.from('hello there') });
    expect(v.kind).toBe('insecure');
    expect(v.reason).toBe('Rule web-to-db-mtls requires mTLS for web -> db, but the capture shows plaintext (unrecognised protocol)');
  });

  it('a server banner when the client sent nothing', () => {
    const v = verdictOf({ client: '10.0.1.5:40022', server: '10.0.2.8:443', toClient: Buffer.from('220 mail ESMTP\r\n') });
    expect(v.kind).toBe('insecure');
    expect(v.security.detail).toBe('plaintext (unrecognised protocol)');
  });
});

describe('wrong-initiator', () => {
  it('the `to` side opened the connection on the rule port', () => {
    const f = judge({ client: '10.0.2.8:40030', server: '10.0.1.5:8080', ...http });
    expect(f.verdict).toEqual({
      clientRole: 'api',
      serverRole: 'web',
      kind: 'wrong-initiator',
      reason: 'Rule web-to-api-http allows web -> api, but api opened this connection',
      ruleId: 'web-to-api-http',
      notice: false,
      security: { grade: 'plaintext', detail: 'plaintext (http)' },
    });
  });

  it('the `to` side on a port outside the rule is unexpected, not wrong-initiator', () => {
    const v = verdictOf({ client: '10.0.2.8:40031', server: '10.0.1.5:8081' });
    expect(v.kind).toBe('unexpected');
    expect(v.ruleId).toBeUndefined();
  });
});

describe('initiator both', () => {
  it('allows the connection from either side, on the ports of the rule', () => {
    const a = verdictOf({ client: '10.0.3.3:40040', server: '10.0.5.5:9005' });
    const b = verdictOf({ client: '10.0.5.5:40041', server: '10.0.3.3:9005' });
    expect([a.kind, a.ruleId, b.kind, b.ruleId]).toEqual(['allowed', 'db-peer-sync', 'allowed', 'db-peer-sync']);
  });

  it('peers of one component dial each other', () => {
    expect(verdictOf({ client: '10.0.5.5:40042', server: '10.0.5.6:7000' }).kind).toBe('allowed');
    expect(verdictOf({ client: '10.0.5.6:40043', server: '10.0.5.5:7000' }).kind).toBe('allowed');
  });

  it('outside the rule ports, neither direction is allowed', () => {
    expect(verdictOf({ client: '10.0.5.5:40044', server: '10.0.3.3:9011' }).kind).toBe('unexpected');
    expect(verdictOf({ client: '10.0.3.3:40045', server: '10.0.5.5:8999' }).kind).toBe('unexpected');
  });
});

describe('port ranges', () => {
  it('include both bounds and nothing beyond', () => {
    const at = (port: number): string => verdictOf({ client: '10.0.5.5:40050', server: `10.0.5.6:${port}` }).kind;
    expect([6999, 7000, 7001, 7002].map(at)).toEqual(['unexpected', 'allowed', 'allowed', 'unexpected']);
  });
});

describe('unexpected', () => {
  it('known components on a port no rule lists', () => {
    expect(verdictOf({ client: '10.0.1.5:40060', server: '10.0.2.8:22' })).toEqual({
      clientRole: 'web',
      serverRole: 'api',
      kind: 'unexpected',
      reason: 'No rule allows tcp/22 from web to api',
      notice: false,
      security: { grade: 'unknown', detail: 'no payload captured' },
    });
  });

  it('a rule port on the wrong protocol', () => {
    const v = verdictOf({ client: '10.0.1.5:40061', server: '10.0.2.8:443', protocol: 17 });
    expect(v.kind).toBe('unexpected');
    expect(v.reason).toBe('No rule allows udp/443 from web to api');
  });

  it('a protocol other than TCP and UDP', () => {
    const f = judge({ client: '10.0.1.5:0', server: '10.0.2.8:0', protocol: 1, toServer: Buffer.from([8, 0, 0, 0]) });
    expect(f.protocol).toBe('icmp');
    expect(f.verdict.kind).toBe('unexpected');
    expect(f.verdict.reason).toBe('No rule allows icmp from web to api: the matrix has rules for tcp and udp only');
    const gre = verdictOf({ client: '10.0.1.5:0', server: '10.0.2.8:0', protocol: 47 });
    expect(gre.reason).toBe('No rule allows ip-proto-47 from web to api: the matrix has rules for tcp and udp only');
  });
});

describe('unknown-peer', () => {
  it('an unknown client', () => {
    expect(verdictOf({ client: '172.16.0.1:40070', server: '10.0.2.8:443' })).toEqual({
      clientRole: '172.16.0.1',
      serverRole: 'api',
      kind: 'unknown-peer',
      reason: 'Client 172.16.0.1 matches no component',
      notice: false,
      security: { grade: 'unknown', detail: 'no payload captured' },
    });
  });

  it('an unknown server', () => {
    const v = verdictOf({ client: '10.0.1.5:40071', server: '172.16.0.2:443' });
    expect([v.kind, v.reason]).toEqual(['unknown-peer', 'Server 172.16.0.2 matches no component']);
  });

  it('both ends unknown', () => {
    const v = verdictOf({ client: '172.16.0.1:40072', server: '172.16.0.2:443' });
    expect([v.kind, v.reason]).toEqual(['unknown-peer', 'Client 172.16.0.1 and server 172.16.0.2 match no component']);
  });

  it('an unknown end on a non-TCP/UDP protocol is still unknown-peer', () => {
    expect(verdictOf({ client: '172.16.0.1:0', server: '10.0.2.8:0', protocol: 1 }).kind).toBe('unknown-peer');
  });
});

describe('severity notice', () => {
  it('an allowed flow on a notice rule is allowed, flagged notice, and listed by the report', () => {
    const f = flow({ client: '10.0.3.3:40080', server: '10.0.6.7:7199' });
    const { report, audited } = audit(matrix, identities, [f]);
    expect(audited[0].verdict).toMatchObject({ kind: 'allowed', ruleId: 'db-to-backup', notice: true });
    expect(audited[0].server.components.map((m) => [m.component, m.via])).toEqual([['backup', 'inventory backup-host (inv.yaml:2)']]);
    expect(report.notices.map((n) => n.id)).toEqual([f.id]);
    expect(report.violations).toBe(0);
  });

  it('an insecure flow on a notice rule is a violation, not a notice', () => {
    const { report, audited } = audit(matrix, identities, [flow({ client: '10.0.6.7:40081', server: '10.0.3.3:7200', ...http })]);
    expect(audited[0].verdict).toMatchObject({ kind: 'insecure', ruleId: 'backup-to-db', notice: false });
    expect(report.notices).toEqual([]);
    expect(report.violations).toBe(1);
  });

  it('a TLS flow on a notice rule with a security requirement is allowed and a notice', () => {
    expect(verdictOf({ client: '10.0.6.7:40082', server: '10.0.3.3:7200', ...tlsBothWays })).toMatchObject({ kind: 'allowed', notice: true });
  });
});

describe('several fitting rules: the best outcome wins', () => {
  // 10.0.1.9 is both web (10.0.1.0/24) and prober (10.0.1.9/32); on 443 web needs TLS, prober nothing.
  it('plaintext: insecure for web-to-api-tls, allowed by prober-to-api', () => {
    expect(verdictOf({ client: '10.0.1.5:40090', server: '10.0.2.8:443', ...http }).kind).toBe('insecure');
    expect(verdictOf({ client: '10.0.1.9:40090', server: '10.0.2.8:443', ...http })).toMatchObject({ kind: 'allowed', ruleId: 'prober-to-api', reason: 'Rule prober-to-api allows prober -> api and requires no security' });
  });

  it('no payload: unverified for web-to-api-tls, allowed by prober-to-api', () => {
    expect(verdictOf({ client: '10.0.1.9:40091', server: '10.0.2.8:443' })).toMatchObject({ kind: 'allowed', ruleId: 'prober-to-api' });
  });

  it('both allowed: the first rule of the matrix decides', () => {
    expect(verdictOf({ client: '10.0.1.9:40092', server: '10.0.2.8:443', ...tlsBothWays })).toMatchObject({ kind: 'allowed', ruleId: 'web-to-api-tls' });
  });
});

const SCOPED = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: scoped
  title: Scoped matrix
unmatched: ignore-outside-components
components:
  app:
    match:
      - cidrs: ["10.1.0.0/24"]
  all-pods:
    context: true
    match:
      - cidrs: ["10.0.0.0/8"]
  internet:
    context: true
    match:
      - external: true
connections:
  - id: app-to-internet
    from: app
    to: internet
    protocol: tcp
    ports: [443]
    security: tls
  - id: pods-dns
    from: all-pods
    to: all-pods
    protocol: udp
    ports: [53]
    security: none
  - id: pods-to-internet
    from: all-pods
    to: internet
    protocol: tcp
    ports: [8443]
    security: tls
`;

describe('ignored (unmatched: ignore-outside-components)', () => {
  const scoped = matrixFrom(SCOPED);
  const none = inventoryIndex('entries: []\n');
  const judgeScoped = (spec: FlowSpec): Verdict => audit(scoped, none, [flow(spec)]).audited[0].verdict;

  it('ignores flows between context components that no rule matches', () => {
    expect(judgeScoped({ client: '10.9.0.1:40100', server: '10.9.0.2:80' })).toEqual({
      clientRole: 'all-pods',
      serverRole: 'all-pods',
      kind: 'ignored',
      reason: 'Neither endpoint belongs to a component of this matrix',
      notice: false,
      security: { grade: 'unknown', detail: 'no payload captured' },
    });
    expect(judgeScoped({ client: '10.9.0.1:40101', server: '8.8.8.8:53', protocol: 17 }).kind).toBe('ignored');
  });

  it('ignores a flow whose only known end is a context component', () => {
    expect(judgeScoped({ client: '192.168.7.7:40102', server: '10.9.0.2:80' }).kind).toBe('ignored');
    expect(judgeScoped({ client: '192.168.7.7:40103', server: '192.168.7.8:80' }).kind).toBe('ignored');
  });

  it('judges a flow between context components by the rule that matches it', () => {
    expect(judgeScoped({ client: '10.9.0.1:40104', server: '10.9.0.2:53', protocol: 17 })).toMatchObject({ kind: 'allowed', ruleId: 'pods-dns' });
    expect(judgeScoped({ client: '10.9.0.1:40105', server: '1.1.1.1:8443', ...http })).toMatchObject({ kind: 'insecure', ruleId: 'pods-to-internet' });
  });

  it('a wrong-initiator flow among context components only matches no rule: ignored', () => {
    expect(judgeScoped({ client: '1.1.1.1:40106', server: '10.9.0.1:8443' }).kind).toBe('ignored');
  });

  it('keeps judging flows with a non-context end', () => {
    expect(judgeScoped({ client: '10.1.0.5:40107', server: '10.9.0.2:80' })).toMatchObject({ kind: 'unexpected', reason: 'No rule allows tcp/80 from app to all-pods' });
    expect(judgeScoped({ client: '10.1.0.5:40108', server: '192.168.7.7:80' })).toMatchObject({ kind: 'unknown-peer', reason: 'Server 192.168.7.7 matches no component' });
    expect(judgeScoped({ client: '10.1.0.5:40109', server: '1.1.1.1:443', ...tlsBothWays })).toMatchObject({ kind: 'allowed', ruleId: 'app-to-internet' });
    expect(judgeScoped({ client: '1.1.1.1:40110', server: '10.1.0.5:443' })).toMatchObject({ kind: 'wrong-initiator', ruleId: 'app-to-internet' });
  });

  it('under unmatched: violation, context-only flows are judged like any other', () => {
    const strict = matrixFrom(SCOPED.replace('unmatched: ignore-outside-components', 'unmatched: violation'));
    expect(audit(strict, none, [flow({ client: '10.9.0.1:40111', server: '10.9.0.2:80' })]).audited[0].verdict.kind).toBe('unexpected');
    expect(audit(strict, none, [flow({ client: '192.168.7.7:40112', server: '10.9.0.2:80' })]).audited[0].verdict.kind).toBe('unknown-peer');
  });
});

const CLUSTER_MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: cluster
  title: Cluster matrix
components:
  runtime:
    match:
      - kubernetes: { namespace: apigee, labels: { app: apigee-runtime } }
  mart:
    match:
      - kubernetes: { namespace: apigee, labels: { app: apigee-mart } }
  prometheus:
    match:
      - pod: { name: "prometheus-*", namespace: monitoring }
  node-exporter:
    match:
      - kubernetes: { namespace: monitoring, labels: { app: node-exporter } }
  nodes:
    context: true
    match:
      - kubernetes: { resource: node }
connections:
  - id: runtime-to-mart
    from: runtime
    to: mart
    protocol: tcp
    ports: [8443]
    security: tls
  - id: prometheus-scrape
    from: prometheus
    to: node-exporter
    protocol: tcp
    ports: [9100]
    security: none
`;

describe('judged with a Kubernetes snapshot', () => {
  const cluster = matrixFrom(CLUSTER_MATRIX);
  const identities = kubernetesIndex(
    list([
      node({ name: 'node-a', ip: '10.10.0.1' }),
      pod({ namespace: 'apigee', name: 'apigee-runtime-0', ip: '10.20.0.4', labels: { app: 'apigee-runtime' }, node: 'node-a', hostIp: '10.10.0.1' }),
      pod({ namespace: 'apigee', name: 'apigee-mart-0', ip: '10.20.0.5', labels: { app: 'apigee-mart' }, node: 'node-a', hostIp: '10.10.0.1' }),
      pod({ namespace: 'monitoring', name: 'prometheus-0', ip: '10.20.0.9', node: 'node-a', hostIp: '10.10.0.1' }),
      pod({ namespace: 'monitoring', name: 'node-exporter-x1', ip: '10.10.0.1', labels: { app: 'node-exporter' }, node: 'node-a', hostIp: '10.10.0.1', hostNetwork: true, ports: [9100] }),
      service({ namespace: 'apigee', name: 'mart', clusterIp: '10.96.0.50', selector: { app: 'apigee-mart' } }),
    ]),
  );
  const judgeIn = (spec: FlowSpec): AuditedFlow => audit(cluster, identities, [flow(spec)]).audited[0];

  it('a flow to a Service ClusterIP is judged as a flow to the pods it selects', () => {
    const f = judgeIn({ client: '10.20.0.4:40200', server: '10.96.0.50:8443', ...tlsBothWays });
    expect(f.verdict).toMatchObject({ kind: 'allowed', ruleId: 'runtime-to-mart' });
    expect(f.server.components.map((m) => m.via)).toEqual(['service apigee/mart -> pod apigee/apigee-mart-0']);
  });

  it('a hostNetwork pod at the node address is the server only on the port it declares', () => {
    expect(judgeIn({ client: '10.20.0.9:40201', server: '10.10.0.1:9100' }).verdict).toMatchObject({ kind: 'allowed', ruleId: 'prometheus-scrape' });
    expect(judgeIn({ client: '10.20.0.9:40202', server: '10.10.0.1:10250' }).verdict).toMatchObject({ kind: 'unexpected', reason: 'No rule allows tcp/10250 from prometheus to nodes' });
  });

  it('the node address as a client is the node, not the hostNetwork pod on it: a flow from it to prometheus is judged as the node\'s', () => {
    const f = judgeIn({ client: '10.10.0.1:40203', server: '10.20.0.9:9100' });
    expect(f.client.components.map((m) => m.via)).toEqual(['node node-a']);
    expect(f.verdict).toMatchObject({ kind: 'unexpected', reason: 'No rule allows tcp/9100 from nodes to prometheus' });
  });
});

describe('observeSecurity', () => {
  const grade = (toServer: Buffer, toClient: Buffer): [string, string] => {
    const s = observeSecurity(flow({ client: '10.0.0.1:1', server: '10.0.0.2:2', toServer, toClient }) as FlowRecord);
    return [s.grade, s.detail];
  };

  it('grades by the first bytes of each direction', () => {
    expect(grade(TLS_CLIENT_HELLO, TLS_SERVER_HELLO)).toEqual(['tls', "TLS 1.2, client certificate not established, no CertificateRequest or ServerHelloDone: the server's bytes end at 47 (no more bytes seen)"]);
    expect(grade(TLS_CLIENT_HELLO, EMPTY)).toEqual(['tls', 'TLS (version not seen), client certificate not established, no ServerHello: the server sent no payload']);
    expect(grade(TLS_CLIENT_HELLO, HTTP_OK)).toEqual(['tls', "TLS (version not seen), client certificate not established, malformed ServerHello: the server's first bytes are not a TLS record"]);
    expect(grade(EMPTY, TLS_SERVER_HELLO)).toEqual(['tls', "TLS 1.2, client certificate not established, no ClientHello: the client sent no payload; no CertificateRequest or ServerHelloDone: the server's bytes end at 47 (no more bytes seen)"]);
    expect(grade(HTTP_GET, TLS_SERVER_HELLO)).toEqual(['plaintext', 'plaintext (http)']);
    expect(grade(EMPTY, EMPTY)).toEqual(['unknown', 'no payload captured']);
    expect(grade(TLS_APP_DATA, EMPTY)).toEqual(['unknown', 'TLS records, no handshake captured']);
    expect(grade(EMPTY, Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))).toEqual(['unknown', 'TLS records, no handshake captured']);
    expect(grade(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), EMPTY)).toEqual(['plaintext', 'plaintext (unrecognised protocol)']);
  });
});
