/**
 * Which components an endpoint belongs to, with the evidence: Kubernetes labels and namespaces,
 * Services as their pods, hostNetwork pods told apart by the server port, pod-name globs, CIDRs,
 * hostname globs over learnt names, external/internal, and inventory `components:`.
 */
import { describe, expect, it } from 'vitest';
import { ComponentMatcher } from '../../src/audit/component-matcher.js';
import { hostnameGlob, podGlob } from '../../src/audit/glob.js';
import type { NameEvidence } from '../../src/identity/endpoint-identity.js';
import { kubernetesIndex, list, matrixFrom, node, pod, service } from './audit-fixtures.js';

const MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: matching
  title: Matching test matrix
components:
  all-pods:
    context: true
    match:
      - kubernetes: { resource: pod }
  mart:
    match:
      - kubernetes: { namespace: apigee, labels: { app: apigee-mart } }
  cassandra:
    match:
      - pod: { name: "apigee-cassandra-default-*", namespace: apigee }
  cassandra-one-digit:
    match:
      - pod: "apigee-cassandra-default-?"
  mart-service:
    match:
      - kubernetes: { resource: service, namespace: apigee, labels: { app: mart-svc } }
  node-exporter:
    match:
      - kubernetes: { namespace: kube-system, labels: { app: node-exporter } }
  kube-proxy:
    match:
      - kubernetes: { namespace: kube-system, labels: { app: kube-proxy } }
  control-plane:
    match:
      - kubernetes: { resource: node, labels: { node-role.kubernetes.io/control-plane: "" } }
  nodes:
    context: true
    match:
      - kubernetes: { resource: node }
  lab:
    match:
      - cidrs: ["192.0.2.0/24", "2001:db8:1::/48"]
  google:
    match:
      - hostnames: ["*.googleapis.com", "oauth2.googleapis.com"]
  vm:
    match: []
  internet:
    context: true
    match:
      - external: true
  lan:
    context: true
    match:
      - internal: true
connections:
  - id: mart-to-cassandra
    from: mart
    to: cassandra
    protocol: tcp
    ports: [9042]
    security: mtls
`;

const CLUSTER = list([
  node({ name: 'node-a', ip: '10.10.0.1', labels: { 'kubernetes.io/hostname': 'node-a' } }),
  node({ name: 'node-cp', ip: '10.10.0.2', labels: { 'node-role.kubernetes.io/control-plane': '' } }),
  pod({ namespace: 'apigee', name: 'apigee-mart-0', ip: '10.20.0.5', labels: { app: 'apigee-mart' }, node: 'node-a', hostIp: '10.10.0.1' }),
  pod({ namespace: 'other', name: 'apigee-mart-0', ip: '10.20.0.15', labels: { app: 'apigee-mart' }, node: 'node-a', hostIp: '10.10.0.1' }),
  pod({ namespace: 'apigee', name: 'apigee-cassandra-default-0', ip: '10.20.0.6', labels: { app: 'apigee-cassandra' }, node: 'node-a', hostIp: '10.10.0.1' }),
  pod({ namespace: 'apigee', name: 'apigee-cassandra-default-10', ip: '10.20.0.16', labels: { app: 'apigee-cassandra' }, node: 'node-a', hostIp: '10.10.0.1' }),
  pod({ namespace: 'other', name: 'apigee-cassandra-default-9', ip: '10.20.0.7', node: 'node-a', hostIp: '10.10.0.1' }),
  pod({ namespace: 'kube-system', name: 'node-exporter-abc', ip: '10.10.0.1', labels: { app: 'node-exporter' }, node: 'node-a', hostIp: '10.10.0.1', hostNetwork: true, ports: [9100] }),
  pod({ namespace: 'kube-system', name: 'kube-proxy-xyz', ip: '10.10.0.1', labels: { app: 'kube-proxy' }, node: 'node-a', hostIp: '10.10.0.1', hostNetwork: true }),
  service({ namespace: 'apigee', name: 'mart-svc', clusterIp: '10.96.0.50', selector: { app: 'apigee-mart' }, labels: { app: 'mart-svc' } }),
]);

const INVENTORY = `entries:
  - name: vm-1
    addresses: ["10.30.0.9"]
    components: [vm]
  - name: proxy
    addresses: ["203.0.113.10"]
    hostnames: [oauth2.googleapis.com]
`;

const matrix = matrixFrom(MATRIX);

/** `names`: evidence a flow adds to the server (DNS answers, SNI), as the Auditor does. */
function setup(): { matches: (address: string, serverPort?: number, names?: readonly NameEvidence[]) => [string, string][] } {
  const index = kubernetesIndex(CLUSTER, INVENTORY);
  const matcher = new ComponentMatcher(matrix);
  return {
    matches: (address, serverPort, names = []) => {
      const identity = index.identify(address);
      return matcher.match(names.length === 0 ? identity : { ...identity, names: [...identity.names, ...names] }, serverPort).map((m) => [m.component, m.via]);
    },
  };
}

describe('kubernetes selectors', () => {
  const { matches } = setup();

  it('a pod by namespace and labels, vendor components before context ones', () => {
    expect(matches('10.20.0.5')).toEqual([
      ['mart', 'pod apigee/apigee-mart-0'],
      ['all-pods', 'pod apigee/apigee-mart-0'],
      ['lan', 'internal address'],
    ]);
  });

  it('the namespace must match: same labels in another namespace are not mart', () => {
    expect(matches('10.20.0.15').map(([c]) => c)).toEqual(['all-pods', 'lan']);
  });

  it('a Service ClusterIP counts as the pods it selects, and as the Service', () => {
    expect(matches('10.96.0.50', 443)).toEqual([
      ['mart', 'service apigee/mart-svc -> pod apigee/apigee-mart-0'],
      ['mart-service', 'service apigee/mart-svc'],
      ['all-pods', 'service apigee/mart-svc -> pod apigee/apigee-mart-0'],
      ['lan', 'internal address'],
    ]);
  });

  it('a node by its labels, and every node through {}', () => {
    expect(matches('10.10.0.2')).toEqual([
      ['control-plane', 'node node-cp'],
      ['nodes', 'node node-cp'],
      ['lan', 'internal address'],
    ]);
  });
});

describe('hostNetwork pods at a node address', () => {
  const { matches } = setup();

  it('the server port picks the pod that declares it; a pod declaring no ports is never named there', () => {
    expect(matches('10.10.0.1', 9100)).toEqual([
      ['node-exporter', 'pod kube-system/node-exporter-abc'],
      ['all-pods', 'pod kube-system/node-exporter-abc'],
      ['nodes', 'node node-a'],
      ['lan', 'internal address'],
    ]);
    // kube-proxy listens on 10256 but does not declare it: which process is there is not known.
    expect(matches('10.10.0.1', 10256)).toEqual([
      ['nodes', 'node node-a'],
      ['lan', 'internal address'],
    ]);
  });

  it('as a client (a source port tells nothing), the node address is the node, not a hostNetwork pod on it', () => {
    expect(matches('10.10.0.1').map(([c]) => c)).toEqual(['nodes', 'lan']);
  });
});

describe('pod name globs', () => {
  const { matches } = setup();

  it('`*` any run of characters, within the namespace given', () => {
    expect(matches('10.20.0.6').map(([c, v]) => `${c}: ${v}`)).toEqual([
      'cassandra: pod apigee/apigee-cassandra-default-0',
      'cassandra-one-digit: pod apigee/apigee-cassandra-default-0',
      'all-pods: pod apigee/apigee-cassandra-default-0',
      'lan: internal address',
    ]);
    expect(matches('10.20.0.16').map(([c]) => c)).toEqual(['cassandra', 'all-pods', 'lan']);
  });

  it('`?` exactly one character, any namespace when none is given', () => {
    expect(matches('10.20.0.7').map(([c]) => c)).toEqual(['cassandra-one-digit', 'all-pods', 'lan']);
  });

  it('compiles to anchored expressions with regex characters literal', () => {
    expect(podGlob('a.b-*').test('a.b-1')).toBe(true);
    expect(podGlob('a.b-*').test('axb-1')).toBe(false);
    expect(podGlob('web-?').test('web-12')).toBe(false);
    expect(podGlob('web').test('web-1')).toBe(false);
  });
});

describe('cidrs', () => {
  const { matches } = setup();

  it('IPv4 and IPv6 blocks, with the block that matched', () => {
    expect(matches('192.0.2.77')).toEqual([['lab', 'cidr 192.0.2.0/24'], ['internet', 'external address']]);
    expect(matches('2001:db8:1:ffff::5')).toEqual([['lab', 'cidr 2001:db8:1::/48'], ['internet', 'external address']]);
    expect(matches('2001:db8:2::5')).toEqual([['internet', 'external address']]);
    expect(matches('192.0.3.1')).toEqual([['internet', 'external address']]);
  });
});

describe('external and internal', () => {
  const { matches } = setup();

  it('private, CGNAT, loopback, link-local and unique-local addresses are internal', () => {
    for (const a of ['172.16.5.5', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', 'fd00::1', 'fe80::1', '::1']) {
      expect(matches(a), a).toEqual([['lan', 'internal address']]);
    }
  });

  it('anything else is external', () => {
    expect(matches('8.8.8.8')).toEqual([['internet', 'external address']]);
    expect(matches('2606:4700::1111')).toEqual([['internet', 'external address']]);
  });
});

describe('hostnames', () => {
  it('`*` matches within one label only', () => {
    const re = hostnameGlob('*.googleapis.com');
    expect(re.test('apigee.googleapis.com')).toBe(true);
    expect(re.test('a.b.googleapis.com')).toBe(false);
    expect(re.test('googleapis.com')).toBe(false);
    expect(re.test('apigee.googleapisxcom')).toBe(false);
    expect(hostnameGlob('*-apigee.googleapis.com').test('europe-west1-apigee.googleapis.com')).toBe(true);
  });

  it('names from DNS answers and SNI match hostname selectors', () => {
    const { matches } = setup();
    expect(matches('34.1.2.3', 443, [{ name: 'apigee.googleapis.com', source: 'dns' }])).toEqual([
      ['google', 'hostname apigee.googleapis.com (dns) ~ *.googleapis.com'],
      ['internet', 'external address'],
    ]);
    expect(matches('34.1.2.4', 443, [{ name: 'a.b.googleapis.com', source: 'sni' }])).toEqual([['internet', 'external address']]);
    expect(matches('34.1.2.6', 443, [{ name: 'Storage.GoogleAPIs.com.', source: 'dns' }])[0]).toEqual(['google', 'hostname storage.googleapis.com (dns) ~ *.googleapis.com']);
  });

  it('an inventory hostname is name evidence too', () => {
    const { matches } = setup();
    expect(matches('203.0.113.10', 443)[0]).toEqual(['google', 'hostname oauth2.googleapis.com (inventory) ~ *.googleapis.com']);
  });

  it('an address matched without names is matched again when a flow brings one', () => {
    const { matches } = setup();
    expect(matches('34.1.2.5', 443)).toEqual([['internet', 'external address']]);
    expect(matches('34.1.2.5', 443, [{ name: 'apigee.googleapis.com', source: 'dns' }]).map(([c]) => c)).toEqual(['google', 'internet']);
    expect(matches('34.1.2.5', 443)).toEqual([['internet', 'external address']]);
  });
});

describe('inventory components', () => {
  it('an entry naming a component makes its addresses members, with the entry as evidence', () => {
    const { matches } = setup();
    expect(matches('10.30.0.9')).toEqual([['vm', 'inventory vm-1 (inv.yaml:2)'], ['lan', 'internal address']]);
    expect(matches('10.30.0.10')).toEqual([['lan', 'internal address']]);
  });
});

describe('the cache of matches', () => {
  /** Distinct pod-less addresses, none in the cluster fixture. */
  const other = (i: number): string => `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

  it('keeps a recent identity\'s matches while more identities than one generation (65,536) pass, and stays bounded', () => {
    const index = kubernetesIndex(CLUSTER, INVENTORY);
    const matcher = new ComponentMatcher(matrix);
    const mart = index.identify('10.20.0.5');
    const first = matcher.match(mart);
    for (let i = 0; i < 70_000; i++) matcher.match(index.identify(other(i)));
    expect(matcher.match(mart)).toBe(first);
    for (let i = 70_000; i < 140_000; i++) matcher.match(index.identify(other(i)));
    const rebuilt = matcher.match(mart);
    expect(rebuilt).not.toBe(first);
    expect(rebuilt).toEqual(first);
  });

  it('matches a server once for all its ports unless a hostNetwork pod there declares ports', () => {
    const index = kubernetesIndex(CLUSTER, INVENTORY);
    const matcher = new ComponentMatcher(matrix);
    const mart = index.identify('10.20.0.5');
    expect(matcher.match(mart, 8843)).toBe(matcher.match(mart, 443));
    expect(matcher.match(mart, 8843)).toBe(matcher.match(mart));
    // The node address of node-exporter (declares 9100) and kube-proxy (declares none).
    const node = index.identify('10.10.0.1');
    expect(matcher.match(node, 9100)).not.toEqual(matcher.match(node, 10256));
    expect(matcher.match(node, 9100)).toBe(matcher.match(node, 9100));
  });
});
