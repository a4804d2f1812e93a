import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/net/ip-address.js';
import { SourcePositionError } from '../../src/source-position-error.js';
import { loadKubernetesSnapshot, parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { tempDir } from '../support/temp-dir.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CLUSTER = readFileSync(join(FIXTURES, 'apigee-pods-services.json'), 'utf8');
const texts = (addresses: readonly Uint32Array[]): string[] => addresses.map((w) => formatAddress(w));

function errorOf(text: string, file = 'snap.json'): string {
  try {
    parseKubernetesSnapshot(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(SourcePositionError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

/** The cluster fixture with one piece of text replaced (which must occur). */
function clusterWith(from: string, to: string): string {
  expect(CLUSTER).toContain(from);
  return CLUSTER.replace(from, to);
}

describe('loadKubernetesSnapshot: kubectl get pods,services -A -o json', () => {
  const snapshot = loadKubernetesSnapshot(join(FIXTURES, 'apigee-pods-services.json'), 'cluster.json');

  it('reads every pod and Service', () => {
    expect(snapshot.file).toBe('cluster.json');
    expect(snapshot.pods).toHaveLength(22);
    expect(snapshot.services.map((s) => `${s.namespace}/${s.name}`)).toEqual([
      'apigee/apigee-cassandra-default',
      'apigee/apigee-runtime-myorg-prod-1-10-3-ab12c',
      'apigee/apigee-mart-myorg-1-10-3-9f3de',
      'apigee/apigee-udca-myorg-prod-1-10-3-ab12c',
      'default/kubernetes',
      'kube-system/kube-dns',
      'monitoring/prometheus-server',
    ]);
    expect(snapshot.nodes).toEqual([]);
    expect(snapshot.skipped.size).toBe(0);
  });

  it('reads a pod: identity, IPs, node, ports', () => {
    const cassandra = snapshot.pods.find((p) => p.identity.name === 'apigee-cassandra-default-0')!;
    expect(cassandra.identity).toEqual({
      resource: 'pod',
      namespace: 'apigee',
      name: 'apigee-cassandra-default-0',
      labels: {
        app: 'apigee-cassandra',
        'apigee.cloud.google.com.platform': 'apigee',
        'apigee.cloud.google.com.revision': 'v1-f72ab3c0d49e8157',
        'controller-revision-hash': 'apigee-cassandra-default-6c7f9b8d5',
        name: 'default',
        'statefulset.kubernetes.io/pod-name': 'apigee-cassandra-default-0',
      },
      nodeName: 'gke-apigee-hybrid-apigee-data-0b7d4a11-m3rt',
      hostNetwork: false,
      ports: [7000, 7001, 7199, 9042, 9142, 7070].map((port) => ({ port, protocol: 'tcp' })),
    });
    expect(texts(cassandra.podIps)).toEqual(['10.4.2.8']);
    expect(texts(cassandra.hostIps)).toEqual(['10.128.0.31']);
    expect(cassandra.terminated).toBe(false);
  });

  it('keeps TCP and UDP ports of every container apart', () => {
    const dns = snapshot.pods.find((p) => p.identity.name.startsWith('kube-dns-'))!;
    expect(dns.identity.ports).toEqual([
      { port: 10053, protocol: 'udp' },
      { port: 10053, protocol: 'tcp' },
      { port: 10055, protocol: 'tcp' },
      { port: 53, protocol: 'udp' },
      { port: 53, protocol: 'tcp' },
      { port: 10054, protocol: 'tcp' },
    ]);
  });

  it('tolerates what real output leaves out: a pending pod with no node or IP, pods without ports', () => {
    const pending = snapshot.pods.find((p) => p.identity.name.endsWith('-zz7kp'))!;
    expect(pending.podIps).toEqual([]);
    expect(pending.hostIps).toEqual([]);
    expect(pending.identity.nodeName).toBeUndefined();
    const proxy = snapshot.pods.find((p) => p.identity.name.startsWith('kube-proxy-'))!;
    expect(proxy.identity).toMatchObject({ hostNetwork: true, ports: [] });
    expect(texts(proxy.podIps)).toEqual(['10.128.0.21']);
  });

  it('marks finished pods', () => {
    expect(snapshot.pods.filter((p) => p.terminated).map((p) => p.identity.name)).toEqual([
      'apigee-cassandra-schema-setup-myorg-ab12c-7nqx4',
      'apigee-cassandra-user-setup-myorg-ab12c-5kd8w',
    ]);
  });

  it('reads Services: ClusterIPs, selector; none for headless, no selector for kubernetes', () => {
    const byName = new Map(snapshot.services.map((s) => [s.name, s]));
    expect(byName.get('apigee-cassandra-default')!.clusterIps).toEqual([]);
    expect(texts(byName.get('kube-dns')!.clusterIps)).toEqual(['10.8.0.10']);
    expect(byName.get('kube-dns')!.selector).toEqual({ 'k8s-app': 'kube-dns' });
    expect(byName.get('kubernetes')!.selector).toBeNull();
    expect(texts(byName.get('kubernetes')!.clusterIps)).toEqual(['10.8.0.1']);
  });
});

describe('other kubectl outputs', () => {
  it('reads kubectl get nodes -o json: InternalIP and ExternalIP, not host names', () => {
    const nodes = loadKubernetesSnapshot(join(FIXTURES, 'apigee-nodes.json')).nodes;
    expect(nodes.map((n) => n.identity.name)).toEqual([
      'gke-apigee-hybrid-apigee-runtime-6f1c0b2e-k2lm',
      'gke-apigee-hybrid-apigee-runtime-6f1c0b2e-x9pq',
      'gke-apigee-hybrid-apigee-data-0b7d4a11-m3rt',
      'gke-apigee-hybrid-apigee-data-0b7d4a11-q8vn',
    ]);
    expect(texts(nodes[0].addresses)).toEqual(['10.128.0.21', '34.76.112.45']);
    expect(nodes[2].identity.labels['cloud.google.com/gke-nodepool']).toBe('apigee-data');
    expect(nodes[2].identity.namespace).toBeUndefined();
  });

  it('reads a kind: List mixing nodes, pods and Services, dual-stack, counting the kinds it skips', () => {
    const snapshot = loadKubernetesSnapshot(join(FIXTURES, 'kong-dual-stack-list.json'));
    expect(texts(snapshot.nodes[0].addresses)).toEqual(['172.18.0.3', 'fc00:f853:ccd:e793::3']);
    expect(texts(snapshot.pods[0].podIps)).toEqual(['10.244.1.7', 'fd00:10:244:1::7']);
    expect(texts(snapshot.pods[0].hostIps)).toEqual(['172.18.0.3', 'fc00:f853:ccd:e793::3']);
    expect(texts(snapshot.services[0].clusterIps)).toEqual(['10.96.142.7', 'fd00:10:96::8e07']);
    expect(snapshot.skipped).toEqual(new Map([['Deployment (apps/v1)', 2], ['Service (serving.knative.dev/v1)', 1], ['Endpoints', 1]]));
  });

  it('reads typed lists from the API, whose items carry no kind', () => {
    const text = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [{ metadata: { name: 'p', namespace: 'n' }, status: { podIP: '10.0.0.9' } }] });
    expect(texts(parseKubernetesSnapshot(text, 'raw.json').pods[0].podIps)).toEqual(['10.0.0.9']);
  });

  it('reads UTF-16 output, as PowerShell redirection writes it', () => {
    const dir = tempDir('identity');
    const file = dir.write('ps.json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CLUSTER, 'utf16le')]));
    expect(loadKubernetesSnapshot(file).pods).toHaveLength(22);
  });

  it('reads null as absent, as some API servers write unset fields', () => {
    const text = '{"items": [{"kind": "Pod", "metadata": {"name": "p", "namespace": "n", "labels": null}, "spec": {"containers": null}, "status": {"podIP": null}}]}';
    expect(parseKubernetesSnapshot(text, 's.json').pods[0]).toMatchObject({ identity: { labels: {}, ports: [] }, podIps: [] });
  });
});

describe('snapshot errors: one line, FILE:LINE:COL, naming the item', () => {
  it('names a file that cannot be read', () => {
    expect(() => loadKubernetesSnapshot(join(FIXTURES, 'absent.json'), 'absent.json')).toThrow(/^absent\.json: no such file$/);
  });

  it('points at JSON syntax errors, which JSON.parse often leaves unplaced', () => {
    expect(errorOf(clusterWith('"podIP": "10.4.0.17",', '"podIP": "10.4.0.17"'))).toBe(`snap.json:1025:17: JSON: expected ',' or '}', found '"'`);
    expect(errorOf(CLUSTER.slice(0, CLUSTER.indexOf('"podIP": "10.4.0.14"') + 14))).toBe('snap.json:164:26: JSON: unterminated string');
    expect(errorOf('kind: List\nitems: []\n', 'snap.yaml')).toBe("snap.yaml:1:1: JSON: expected a value, found 'k'");
  });

  it.each([
    ['an array', '[]', 'snap.json:1:1: the document: expected a kubectl list, an object with an "items" list (kubectl get pods,services -A -o json)'],
    ['a single object', '{\n  "kind": "Pod",\n  "metadata": {}\n}', 'snap.json:1:1: the document: expected a kubectl list, an object with an "items" list (kubectl get pods,services -A -o json): this is a single Pod'],
    ['items not a list', '{"kind": "List", "items": {}}', 'snap.json:1:27: items: must be a list, found an object'],
    ['item not an object', '{"items": [\n  "pod"\n]}', 'snap.json:2:3: items[0] (item): must be an object, found string "pod"'],
    ['no kind', '{"items": [\n  {"metadata": {"name": "x"}}\n]}', 'snap.json:2:3: items[0] (item x): kind: is missing'],
    ['no name', '{"items": [{"kind": "Pod", "metadata": {"namespace": "n"}}]}', 'snap.json:1:40: items[0] (Pod): metadata.name: is missing'],
    ['no namespace', '{"items": [{"kind": "Service", "metadata": {"name": "s"}}]}', 'snap.json:1:44: items[0] (Service s): metadata.namespace: is missing'],
    ['label not a string', '{"items": [{"kind": "Node", "metadata": {"name": "n1", "labels": {"rack": 7}}}]}', 'snap.json:1:75: items[0] (Node n1): metadata.labels.rack: must be a string, found number 7'],
    ['bad node address', '{"items": [{"kind": "Node", "metadata": {"name": "n1"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0"}]}}]}', 'snap.json:1:116: items[0] (Node n1): status.addresses[0].address: "10.0.0" is not an IP address'],
    ['bad clusterIPs', '{"items": [{"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"clusterIPs": "10.0.0.1"}}]}', 'snap.json:1:100: items[0] (Service n/s): spec.clusterIPs: must be a list, found string "10.0.0.1"'],
  ])('%s', (_case, text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it('points into the real output: the item, the field, its value', () => {
    expect(errorOf(clusterWith('"podIP": "10.4.0.17"', '"podIP": "10.4.0.300"'))).toBe(
      'snap.json:1024:26: items[5] (Pod apigee/apigee-mart-myorg-1-10-3-9f3de-6b8c7d9f4-pl5vw): status.podIP: "10.4.0.300" is not an IP address',
    );
    expect(errorOf(clusterWith('"containerPort": 20001', '"containerPort": "20001"'))).toBe(
      'snap.json:1262:50: items[7] (Pod apigee/apigee-udca-myorg-prod-1-10-3-ab12c-64f8b9c7d5-m4t8s): spec.containers[1].ports[0].containerPort: must be an integer, found string "20001"',
    );
    expect(errorOf(clusterWith('"hostNetwork": true', '"hostNetwork": "true"'))).toBe(
      'snap.json:1630:32: items[9] (Pod apigee/apigee-logger-apigee-telemetry-4xkqz): spec.hostNetwork: must be true or false, found string "true"',
    );
  });
});

describe('hostile snapshots: one line, bounded', () => {
  it('refuses special files by their type and big files by their size, unread', () => {
    expect(() => loadKubernetesSnapshot('/dev/zero')).toThrow(/^\/dev\/zero: is a character device, not a regular file: a Kubernetes snapshot must be a regular file$/);
    const big = tempDir('identity').write('big.json', '');
    truncateSync(big, 256 * 1024 * 1024 + 1);
    expect(() => loadKubernetesSnapshot(big, 'big.json')).toThrow(/^big\.json: is 268435457 bytes; the limit for a Kubernetes snapshot is 268435456 bytes \(256 MiB\)$/);
  });

  it('refuses nesting deeper than 1,000 levels before JSON.parse, valid or not, at the bracket that crosses it', () => {
    expect(errorOf(`{"items": ${'['.repeat(200_000)}${']'.repeat(199_999)}}`)).toBe('snap.json:1:1010: JSON: nesting deeper than 1000 levels');
    expect(errorOf(`{"items": [${'['.repeat(5000)}${']'.repeat(5000)}]}`)).toBe('snap.json:1:1010: JSON: nesting deeper than 1000 levels');
    // Brackets inside strings do not count.
    expect(parseKubernetesSnapshot(`{"items": [{"kind": "${'['.repeat(5000)}\\"{"}]}`, 'snap.json').skipped.size).toBe(1);
  });

  it('places a syntax error in broken JSON nested within the bound without recursion', () => {
    expect(errorOf(`{"items": ${'['.repeat(999)}${']'.repeat(998)}}`)).toBe(`snap.json:1:${11 + 999 + 998}: JSON: expected ',' or ']', found '}'`);
  });

  it('quotes names and addresses as excerpts', () => {
    const name = 'n'.repeat(10_000);
    const text = JSON.stringify({ kind: 'List', items: [{ kind: 'Pod', metadata: { name, namespace: 'ns' }, status: { podIP: 'x'.repeat(10_000) } }] });
    const message = errorOf(text);
    expect(message.length).toBeLessThan(300);
    expect(message).toContain(`(Pod ns/${'n'.repeat(77)}...)`);
    expect(message).toContain(`"${'x'.repeat(40)}"... is not an IP address`);
  });

  it('names skipped kinds by an excerpt', () => {
    const kind = 'K'.repeat(10_000);
    const skipped = parseKubernetesSnapshot(JSON.stringify({ items: [{ kind, apiVersion: 'v'.repeat(10_000) }, { kind }] }), 'snap.json').skipped;
    expect([...skipped.keys()]).toEqual([`${'K'.repeat(40)}... (${'v'.repeat(40)}...)`, `${'K'.repeat(40)}...`]);
  });
});
