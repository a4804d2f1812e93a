import { describe, expect, test } from 'vitest';
import { ComponentMatcher } from '../../src/audit/component-matcher.js';
import { FlowJudge } from '../../src/audit/flow-judge.js';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import type { Connection, Matrix } from '../../src/audit/matrix.js';
import { shippedProfileNames } from '../../src/audit/matrix-rules-dir.js';
import type { ObservedSecurity } from '../../src/audit/verdict.js';
import { kubernetesIndex, list, pod } from './audit-fixtures.js';

const SHIPPED = shippedProfileNames();
const matrices = new Map<string, Matrix>(SHIPPED.map((name) => [name, loadMatrix(name)]));
const get = (name: string): Matrix => {
  const m = matrices.get(name);
  if (m === undefined) throw new Error(`${name} is not shipped`);
  return m;
};

/** The profile's own rules: those written in its file, not its includes'. */
const own = (m: Matrix): Connection[] => m.connections.filter((c) => c.origin.file === m.files[0]);

/** `from>to tcp/port security` for every port of every rule (ranges must be single ports here). */
function edges(connections: readonly Connection[]): string[] {
  return connections
    .flatMap((c) => c.ports.map((p) => `${c.from}>${c.to} ${c.protocol}/${p.from === p.to ? p.from : `${p.from}-${p.to}`} ${c.security}`))
    .sort();
}

test('the expected profiles are shipped', () => {
  expect(SHIPPED).toEqual([
    'apigee-hybrid',
    'apigee-hybrid-1.4',
    'kong-hybrid',
    'kong-konnect',
    'kong-konnect-common',
    'kong-konnect-kic',
    'platform-baseline',
  ]);
});

describe.each(SHIPPED)('%s', (name) => {
  test('loads; its metadata name is its file name', () => {
    const m = get(name);
    expect(m.name).toBe(name);
    expect(m.files[0]).toMatch(new RegExp(`/rules/${name.replace(/\./g, '\\.')}\\.yaml$`));
    expect(m.connections.length).toBeGreaterThan(0);
    expect(m.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
  test("every rule cites the vendor's public page: document, URL, and a row or section", () => {
    const m = get(name);
    for (const source of [m.source, ...m.connections.map((c) => c.source)]) {
      expect(source?.document, JSON.stringify(source)).toBeTruthy();
      expect(source?.url, source?.document).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]+\//);
      // Internal file names (the seeds, the domain notes) may stay in YAML comments, not in citations.
      expect(JSON.stringify(source), source?.document).not.toMatch(/seed|shared\/|\.txt|connection-matrices/);
    }
    for (const c of m.connections) expect(c.source?.row ?? c.source?.section, c.id).toBeTruthy();
  });
  test('TLS 1.2 is the floor of every tls and mtls rule', () => {
    const m = get(name);
    expect(m.tlsFloor?.version).toBe('1.2');
    for (const c of m.connections) expect(c.security === 'none' ? undefined : c.minTlsVersion, c.id).toBe(c.security === 'none' ? undefined : '1.2');
  });
  test('every component is used by a rule (shared *-common files excepted)', () => {
    if (name.endsWith('-common')) return;
    const m = get(name);
    const used = new Set(m.connections.flatMap((c) => [c.from, c.to]));
    expect([...m.components.keys()].filter((c) => !used.has(c))).toEqual([]);
  });
  test('includes the platform baseline (vendor profiles)', () => {
    if (name === 'platform-baseline') return;
    expect(get(name).includes).toContain('platform-baseline');
  });
  test('the result is frozen', () => {
    const m = get(name);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.connections)).toBe(true);
    expect(Object.isFrozen(m.connections[0])).toBe(true);
    expect(Object.isFrozen(m.connections[0].ports)).toBe(true);
  });
});

test('loading twice gives the same hash', () => {
  expect(loadMatrix('apigee-hybrid-1.4').hash).toBe(get('apigee-hybrid-1.4').hash);
});

describe('apigee-hybrid-1.4 (the 1.4 ports page)', () => {
  const m = get('apigee-hybrid-1.4');

  test('carries exactly the seed rows', () => {
    expect(edges(own(m))).toEqual(
      [
        // Internal connections
        'mart>cassandra tcp/9042 mtls',
        'mart>cassandra tcp/9142 mtls',
        'apigee-connect>mart tcp/8443 tls',
        'istio-ingress>mart tcp/8443 tls', // OPTIONAL: MART Istio Ingress
        'istio-ingress>message-processor tcp/8443 tls', // Default Istio Ingress
        'message-processor>cassandra tcp/9042 mtls',
        'message-processor>cassandra tcp/9142 mtls',
        'message-processor>udca tcp/20001 mtls', // fluentd (Analytics)
        'cassandra>cassandra tcp/7001 mtls',
        'cassandra>cassandra tcp/7000 none', // backup port note
        'prometheus>cassandra tcp/7070 tls',
        'prometheus>mart tcp/8843 tls',
        'prometheus>message-processor tcp/8843 tls',
        'prometheus>synchronizer tcp/8843 tls',
        'prometheus>udca tcp/7070 tls',
        // External connections
        'apigee-connect>apigee-connect-service tcp/443 tls',
        'synchronizer>google-apis tcp/443 tls',
        'udca>google-apis tcp/443 tls',
        'prometheus>google-apis tcp/443 tls',
        'logger>google-apis tcp/443 tls',
        'api-clients>istio-ingress tcp/443 tls',
      ].sort(),
    );
  });

  test('every rule cites the 1.4 ports page, in its internal or external table', () => {
    for (const c of own(m)) {
      expect(c.source, c.id).toMatchObject({ document: 'Apigee hybrid 1.4: Configure ports and set up firewalls', url: 'https://cloud.google.com/apigee/docs/hybrid/v1.4/ports' });
      expect(['Internal connections', 'External connections'], c.id).toContain(c.source?.section);
    }
  });

  test('Cassandra gossip goes both ways; 7000 is an optional notice', () => {
    const byId = new Map(m.connections.map((c) => [c.id, c]));
    expect(byId.get('cassandra-to-cassandra')).toMatchObject({ initiator: 'both', severity: 'ok', optional: false });
    expect(byId.get('cassandra-to-cassandra-7000')).toMatchObject({ initiator: 'both', severity: 'notice', optional: true });
    expect(byId.get('mart-istio-ingress-to-mart')?.optional).toBe(true);
    expect(byId.get('apigee-connect-to-apigee-services')?.initiator).toBe('from');
  });

  test('Google APIs are matched by hostname only', () => {
    for (const name of ['google-apis', 'apigee-connect-service']) {
      const kinds = m.components.get(name)?.selectors.map((s) => s.kind);
      expect(kinds, name).toEqual(['hostname']);
    }
    expect(m.components.get('apigee-connect-service')?.selectors[0]).toEqual({ kind: 'hostname', patterns: ['apigeeconnect.googleapis.com'] });
  });

  test('components use the Apigee labels', () => {
    expect(m.components.get('mart')?.selectors[0]).toEqual({ kind: 'kubernetes', resource: 'pod', namespace: 'apigee', labels: { app: 'apigee-mart' } });
    expect(m.components.get('message-processor')?.selectors[0]).toMatchObject({ labels: { app: 'apigee-runtime' } });
  });
});

describe('apigee-hybrid (1.10 and later)', () => {
  const m = get('apigee-hybrid');
  const e = edges(own(m));
  test('has the rows new since 1.4 and drops the retired ones', () => {
    expect(e).toEqual(
      expect.arrayContaining([
        'synchronizer>cassandra tcp/9042 mtls',
        'cassandra>cassandra tcp/7199 mtls',
        'watcher>message-processor tcp/8843 tls',
        'ingressgateway>message-processor tcp/8443 tls',
        'metrics>redis tcp/8001 none',
        'metrics>watcher tcp/8843 none',
      ]),
    );
    expect(e.filter((x) => x.includes('/7000') || x.startsWith('istio'))).toEqual([]);
  });
  test('unconfirmed facts are optional', () => {
    const byId = new Map(m.connections.map((c) => [c.id, c]));
    expect(byId.get('message-processor-to-redis')?.optional).toBe(true);
    expect(byId.get('apigee-pods-to-google-apis-optional')?.optional).toBe(true);
    expect(byId.get('message-processor-to-fluentd')?.optional).toBe(true);
  });
});

describe('Kong', () => {
  test('kong-konnect: DP to cp/tp over mTLS, both hostname formats', () => {
    const m = get('kong-konnect');
    expect(edges(m.connections.filter((c) => c.from === 'kong-gateway' && c.security === 'mtls'))).toEqual([
      'kong-gateway>konnect-control-plane tcp/443 mtls',
      'kong-gateway>konnect-telemetry tcp/443 mtls',
    ]);
    expect(m.components.get('konnect-control-plane')?.selectors).toEqual([{ kind: 'hostname', patterns: ['*.*.cp0.konghq.com', '*.*.cp.konghq.com'] }]);
    expect(m.components.get('konnect-telemetry')?.selectors).toEqual([{ kind: 'hostname', patterns: ['*.*.tp0.konghq.com', '*.*.tp.konghq.com'] }]);
    const audit = m.connections.filter((c) => c.ports.some((p) => p.from === 8071));
    expect(audit.map((c) => `${c.protocol} ${c.optional}`).sort()).toEqual(['tcp true', 'udp true']);
    expect(edges(m.connections.filter((c) => c.from === 'consumers'))).toEqual(['consumers>kong-gateway tcp/8000 none', 'consumers>kong-gateway tcp/8443 tls']);
  });
  test('kong-konnect-kic: KIC hosts, no cp0 configuration edge', () => {
    const m = get('kong-konnect-kic');
    expect(m.components.has('konnect-control-plane')).toBe(false);
    expect(edges(m.connections.filter((c) => c.from === 'kong-ingress-controller'))).toEqual([
      'kong-ingress-controller>kong-gateway tcp/8444 tls',
      'kong-ingress-controller>konnect-api tcp/443 tls',
      'kong-ingress-controller>konnect-kic-api tcp/443 mtls',
      'kong-ingress-controller>konnect-platform tcp/443 tls',
    ]);
    expect(edges(m.connections.filter((c) => c.to === 'konnect-telemetry'))).toEqual(['kong-gateway>konnect-telemetry tcp/443 mtls']);
  });
  test('kong-hybrid: the self-managed ports', () => {
    expect(edges(own(get('kong-hybrid')))).toEqual(
      [
        'kong-data-plane>kong-control-plane tcp/8005 mtls',
        'kong-data-plane>kong-control-plane tcp/8006 mtls',
        'clients>kong-data-plane tcp/8000 none',
        'clients>kong-data-plane tcp/8443 tls',
        'admins>kong-control-plane tcp/8001 none',
        'admins>kong-control-plane tcp/8444 tls',
        'admins>kong-control-plane tcp/8002 none',
        'admins>kong-control-plane tcp/8445 tls',
        'monitoring>kong-data-plane tcp/8007 none',
        'monitoring>kong-data-plane tcp/8100 none',
        'monitoring>kong-control-plane tcp/8007 none',
        'monitoring>kong-control-plane tcp/8100 none',
        'kong-control-plane>postgresql tcp/5432 none',
        'kong-data-plane>upstream-services tcp/1-65535 none',
      ].sort(),
    );
  });
});

describe('platform-baseline', () => {
  const m = get('platform-baseline');
  test('DNS, API server, probes and the kubelet API', () => {
    expect(edges(m.connections)).toEqual(
      expect.arrayContaining([
        'cluster-pods>kube-dns udp/53 none',
        'cluster-pods>kube-dns tcp/53 none',
        'cluster-pods>kube-apiserver tcp/443 tls',
        'cluster-pods>kube-apiserver tcp/6443 tls',
        'kubernetes-node>cluster-pods tcp/1-65535 none',
        'metrics-server>kubernetes-node tcp/10250 tls',
      ]),
    );
    expect(m.components.get('kube-dns')?.selectors).toContainEqual({ kind: 'kubernetes', resource: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } });
    expect(m.components.get('kube-apiserver')?.selectors).toContainEqual({ kind: 'kubernetes', resource: 'service', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } });
  });
  test('every baseline component is context and every rule optional', () => {
    expect([...m.components.values()].filter((c) => !c.context).map((c) => c.name)).toEqual([]);
    expect(m.connections.filter((c) => !c.optional).map((c) => c.id)).toEqual([]);
  });
});

/**
 * Kong's proxy forwards to upstream services: by default every pod (or Service) that is not a Kong
 * component itself. Judged here on Kubernetes identities, as a snapshot gives them.
 */
describe('Kong upstream services', () => {
  const KONG = { 'app.kubernetes.io/name': 'kong', 'app.kubernetes.io/component': 'app' };
  const cluster = kubernetesIndex(
    list([
      pod({ namespace: 'kong', name: 'kong-gateway-0', ip: '10.7.0.10', labels: KONG }),
      pod({ namespace: 'kong', name: 'kong-gateway-1', ip: '10.7.0.11', labels: KONG }),
      pod({ namespace: 'shop', name: 'orders-0', ip: '10.7.0.20', labels: { app: 'orders' } }),
    ]),
  );
  const PLAIN: ObservedSecurity = { grade: 'plaintext', detail: 'plaintext (http)' };
  const TLS13: ObservedSecurity = { grade: 'mtls-unverifiable', detail: 'TLS 1.3, client certificates encrypted', tlsVersion: '1.3' };
  function verdict(profile: string, client: string, server: string, port: number, security: ObservedSecurity): string {
    const m = get(profile);
    const matcher = new ComponentMatcher(m);
    const v = new FlowJudge(m).judge({
      protocol: 'tcp',
      clientAddress: client,
      serverAddress: server,
      serverPort: port,
      client: matcher.match(cluster.identify(client)),
      server: matcher.match(cluster.identify(server), port),
      security,
    });
    return `${v.kind} ${v.ruleId ?? '-'}`;
  }

  test.each(['kong-konnect', 'kong-konnect-kic'])('%s: proxied requests to a pod are allowed, on any port', (profile) => {
    expect(verdict(profile, '10.7.0.10', '10.7.0.20', 8080, PLAIN)).toBe('allowed gateway-to-upstream-services');
    expect(verdict(profile, '10.7.0.11', '10.7.0.20', 50051, TLS13)).toBe('allowed gateway-to-upstream-services');
  });

  // The pod is an upstream, and only the gateway opens connections to upstreams.
  test.each(['kong-konnect', 'kong-konnect-kic'])('%s: a pod reaching the Admin API (8001, 8444) is a violation', (profile) => {
    for (const port of [8001, 8444]) expect(verdict(profile, '10.7.0.20', '10.7.0.10', port, PLAIN)).toBe('wrong-initiator gateway-to-upstream-services');
  });

  test('kong-konnect: a gateway is never an upstream: gateway to gateway Admin API is a violation', () => {
    expect(verdict('kong-konnect', '10.7.0.10', '10.7.0.11', 8001, PLAIN)).toBe('unexpected -');
    expect(verdict('kong-konnect', '10.7.0.10', '10.7.0.11', 8444, TLS13)).toBe('unexpected -');
  });

  test('kong-konnect-kic: the controller (sharing the gateway pod) reaches the Admin API only over TLS on 8444', () => {
    expect(verdict('kong-konnect-kic', '10.7.0.10', '10.7.0.11', 8444, TLS13)).toBe('allowed kic-to-gateway-admin-api');
    expect(verdict('kong-konnect-kic', '10.7.0.10', '10.7.0.11', 8444, PLAIN)).toBe('insecure kic-to-gateway-admin-api');
    expect(verdict('kong-konnect-kic', '10.7.0.10', '10.7.0.11', 8001, PLAIN)).toBe('unexpected -');
  });

  test('the upstream components are replaceable defaults: pods, except Kong itself', () => {
    expect(get('kong-konnect').components.get('upstream-services')).toMatchObject({ replaceable: true, context: true, except: ['kong-gateway'] });
    expect(get('kong-konnect-kic').components.get('upstream-services')?.except).toEqual(['kong-gateway', 'kong-ingress-controller']);
    expect(get('kong-hybrid').components.get('upstream-services')?.except).toEqual(['kong-control-plane', 'kong-data-plane', 'postgresql']);
  });
});
