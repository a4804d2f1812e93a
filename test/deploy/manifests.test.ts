/**
 * Issue 19, manifests: `kubectl kustomize deploy/` renders; every object validates against the
 * OpenAPI schema of Kubernetes 1.27.1 (kubernetes-models 5.1.0) or the Prometheus Operator's
 * CRDs (@kubernetes-models/prometheus-operator 6.0.0), offline; the DaemonSet asks for no more
 * than the engines need; its args are accepted by the CLI's own parser and name the files the
 * ConfigMap mounts, which the CLI loads. Needs kubectl: without it the tests skip and say why;
 * with CI=true they fail instead.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument, type Scalar, type YAMLSeq } from 'yaml';
import { nameTheRightOption } from '../../src/cli/option-errors.js';
import { registerWatchCommand } from '../../src/cli/watch-command.js';
import { liveCaptureUnavailable } from '../../src/capture/live-capture.js';
import { ebpfEngineUnavailable } from '../../src/engine/ebpf-probe.js';
import { newTempDir } from '../support/temp-dir.js';
import { gate, missingTools, REPO_ROOT } from '../support/tshark.js';
import { only, renderDeploy, type K8sObject } from './rendered-manifests.js';

// Not from Debian: scripts/test.sh cannot install it (docs/deploy.md, "Tests").
const tools = gate(missingTools(['kubectl']) === null ? null : 'kubectl is not installed (scripts/test.sh cannot install it: docs/deploy.md, "Tests")');
// The agent started with the DaemonSet's args, in a network namespace of its own (unshare -n).
const agentRun = gate(missingTools(['kubectl']) !== null ? 'kubectl is not installed' : process.getuid?.() !== 0 ? 'needs root (a network namespace of its own, live capture)' : missingTools(['unshare', 'setpriv', 'curl']) ?? liveCaptureUnavailable());

/**
 * Runs in a fresh network namespace (only lo): the agent with ARGS and no capability but $CAPS
 * (setpriv, as the container runtime leaves a root process: bounding set, none inheritable, no
 * new privileges), its endpoint probed as the kubelet would once /readyz answers 200 (at most
 * 20 s), then SIGTERM. Prints what the test reads.
 */
const PROBE_SCRIPT = `
ip link set lo up
port=$1; shift
setpriv --no-new-privs --inh-caps=-all --bounding-set="-all,$CAPS" node dist/bin/flowaudit.js "$@" 2>"$AGENT_LOG" &
pid=$!
for i in $(seq 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
echo "healthz $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")"
echo "readyz $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
kill -TERM $pid
wait $pid
echo "exit $?"
`;

/** The schema of every kind deploy/ may render, by apiVersion/kind. */
const MODELS = new Map<string, new (data: never) => { validate(): void }>(
  [Namespace, ServiceAccount, ConfigMap, Service, DaemonSet, ClusterRole, ClusterRoleBinding, ServiceMonitor, PrometheusRule].map((m) => [`${m.apiVersion}/${m.kind}`, m as unknown as new (data: never) => { validate(): void }]),
);

function validate(object: K8sObject): void {
  const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (Model === undefined) throw new Error(`${object.apiVersion} ${object.kind} ${object.metadata.name}: no schema for this kind`);
  new Model(object as never).validate();
}

/** What `flowaudit watch ARGS` parses to, through the CLI's own option definitions; stops before the action. */
function parseWatchArgs(args: readonly string[]): Record<string, unknown> {
  const stop = new Error('parsed');
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerWatchCommand(program);
  nameTheRightOption(program);
  let parsed: Record<string, unknown> | undefined;
  program.commands.find((c) => c.name() === 'watch')!.hook('preAction', (command) => {
    parsed = command.opts();
    throw stop;
  });
  try {
    program.parse(['node', 'flowaudit', ...args]);
  } catch (err) {
    if (err !== stop) throw err;
  }
  return parsed!;
}

interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities: { drop: string[]; add: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface PodSpec {
  serviceAccountName: string;
  hostNetwork: boolean;
  dnsPolicy: string;
  tolerations: Record<string, string>[];
  containers: Container[];
  volumes: (Record<string, unknown> & { name: string })[];
}

/** An arg as Kubernetes expands it on a node whose status.hostIP is `nodeIp` (the container's env NODE_IP). */
function onNode(arg: string, nodeIp: string): string {
  return arg.replaceAll('$(NODE_IP)', nodeIp);
}

describe.skipIf(tools.skip)(`deploy/ rendered by kubectl kustomize${tools.suffix}`, () => {
  let objects: K8sObject[];
  let pod: PodSpec;
  let agent: Container;
  /** --name=value of the agent's args. */
  let arg: (name: string) => string;

  beforeAll(() => {
    tools.assertAvailable();
    objects = renderDeploy();
    pod = (only(objects, 'DaemonSet').spec as { template: { spec: PodSpec } }).template.spec;
    agent = pod.containers[0]!;
    arg = (name) => {
      const found = agent.args.find((a) => a.startsWith(`--${name}=`));
      if (found === undefined) throw new Error(`the DaemonSet's args have no --${name}=`);
      return found.slice(name.length + 3);
    };
  });

  it('renders every object the install needs, in the flowaudit namespace', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Namespace', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    for (const o of objects.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))) expect(o.metadata.namespace, o.kind).toBe('flowaudit');
  });

  it('validates every object against the Kubernetes 1.27.1 and Prometheus Operator schemas', () => {
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it('the schemas catch a broken object (the validation is not vacuous)', () => {
    const daemonSet = structuredClone(only(objects, 'DaemonSet')) as K8sObject & { spec: { template: { spec: PodSpec } } };
    (daemonSet.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }).containerPort = 'metrics';
    expect(() => validate(daemonSet)).toThrow(/containerPort must be integer/);
  });

  it('grants get, list and watch on pods, Services and nodes, and nothing else, to the agent', () => {
    const role = only(objects, 'ClusterRole') as K8sObject & { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods', 'services', 'nodes'], verbs: ['get', 'list', 'watch'] }]);
    const binding = only(objects, 'ClusterRoleBinding') as K8sObject & { roleRef: { name: string }; subjects: unknown[] };
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'flowaudit' }]);
    expect(only(objects, 'ServiceAccount').metadata.name).toBe(pod.serviceAccountName);
  });

  it('runs the DaemonSet on every node, in its network namespace, with the cluster DNS', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('is not privileged: drops every capability, adds only the engines\' four, read-only root', () => {
    const sc = agent.securityContext;
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    expect([...sc.capabilities.add].sort()).toEqual(['BPF', 'NET_ADMIN', 'NET_RAW', 'PERFMON']);
  });

  it('justifies each capability it adds in a comment of its own', () => {
    const doc = parseDocument(readFileSync(join(REPO_ROOT, 'deploy/daemonset.yaml'), 'utf8'));
    const add = doc.getIn(['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'capabilities', 'add'], true) as YAMLSeq<Scalar>;
    expect(add.items.length).toBe(4);
    // The yaml parser gives the first item's comment to the list itself.
    add.items.forEach((item, i) => expect((i === 0 ? add.commentBefore : item.commentBefore) ?? '', String(item.value)).toMatch(/^ (eBPF|libpcap) engine.*: \w+/));
  });

  it('mounts nothing from the host: the ConfigMap read-only and an emptyDir for the violation log', () => {
    expect(pod.volumes.map((v) => Object.keys(v).filter((k) => k !== 'name')[0])).toEqual(['configMap', 'emptyDir']);
    const configMount = agent.volumeMounts.find((m) => m.name === 'config')!;
    expect(configMount.readOnly).toBe(true);
    // The root is read-only: the violation log must be on the writable volume, within its size.
    const logMount = agent.volumeMounts.find((m) => m.name === pod.volumes.find((v) => 'emptyDir' in v)!.name)!;
    expect(arg('violation-log').startsWith(`${logMount.mountPath}/`)).toBe(true);
    const files = Number(arg('violation-log-files')) + 1;
    const limitMiB = Number(/^(\d+)Mi$/.exec((pod.volumes.find((v) => 'emptyDir' in v)!.emptyDir as { sizeLimit: string }).sizeLimit)![1]);
    expect(files * Number(arg('violation-log-max-size'))).toBeLessThanOrEqual(limitMiB);
  });

  it('probes /healthz and /readyz on the port the agent listens on, which the Service and ServiceMonitor scrape', () => {
    const metricsPort = agent.ports.find((p) => p.name === 'metrics')!;
    // Bound to the node's address, which the kubelet probes and Prometheus scrapes (hostNetwork: the pod's IP).
    expect(arg('listen')).toBe(`$(NODE_IP):${metricsPort.containerPort}`);
    expect(agent.env).toContainEqual({ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
    expect(agent.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(agent.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    const service = only(objects, 'Service') as K8sObject & { spec: { clusterIP: string; ports: { name: string; targetPort: string }[]; selector: Record<string, string> } };
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: metricsPort.containerPort, targetPort: 'metrics' }]);
    const podLabels = (only(objects, 'DaemonSet').spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(podLabels).toMatchObject(service.spec.selector);
    const monitor = only(objects, 'ServiceMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([['metrics', '/metrics']]);
  });

  it('sets requests and limits, the limit above the measured 373 MiB peak at 1,000,000 live flows', () => {
    const mib = (q: string): number => Number(/^(\d+)Mi$/.exec(q)![1]);
    expect(mib(agent.resources.requests.memory!)).toBeGreaterThanOrEqual(118);
    expect(mib(agent.resources.limits.memory!)).toBeGreaterThan(373);
    expect(agent.resources.requests.cpu).toBeDefined();
  });

  it('runs the image of this version', () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(agent.image).toBe(`flowaudit:${version}`);
  });

  it('passes args the CLI\'s own parser accepts: watch, the auto engine, live Kubernetes identities', () => {
    expect(agent.command).toEqual(['flowaudit']);
    const options = parseWatchArgs(agent.args.map((a) => onNode(a, '10.0.0.7')));
    expect(options).toMatchObject({ engine: 'auto', kubernetes: true, interface: ['any'], listen: '10.0.0.7:9847', rules: arg('rules'), inventory: [arg('inventory')] });
  });

  /** Runs the DaemonSet's args (but --kubernetes, which needs an API server) with its capabilities; the log. */
  function runAgent(engine: string): string {
    const configMap = only(objects, 'ConfigMap') as K8sObject & { data: Record<string, string> };
    // The pod's mounts as directories here: the ConfigMap's files and an empty log directory.
    const dir = newTempDir('deploy-agent');
    const mounts = agent.volumeMounts.map((m) => ({ path: m.mountPath, local: dir.file(m.name) }));
    for (const [key, text] of Object.entries(configMap.data)) dir.write(join('config', key), text);
    dir.write(join('violation-log', '.keep'), '');
    const local = (a: string): string => mounts.reduce((s, m) => s.replace(`=${m.path}/`, `=${m.local}/`), a);
    const args = agent.args.filter((a) => a !== '--kubernetes').map((a) => (a.startsWith('--engine=') ? `--engine=${engine}` : local(onNode(a, '127.0.0.1'))));
    const port = agent.ports.find((p) => p.name === 'metrics')!.containerPort;
    const caps = agent.securityContext.capabilities.add.map((c) => `+${c.toLowerCase()}`).join(',');
    const run = spawnSync('unshare', ['-n', 'sh', '-c', PROBE_SCRIPT, 'sh', String(port), ...args], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, AGENT_LOG: dir.file('agent.log'), CAPS: caps },
    });
    const log = readFileSync(dir.file('agent.log'), 'utf8');
    expect(run.stdout, log).toBe('healthz 200\nreadyz 200\nexit 0\n');
    return log;
  }

  it.skipIf(agentRun.skip)(`with its args and only its capabilities, auto takes the engine full root would, and the probes find it healthy and ready${agentRun.suffix}`, () => {
    agentRun.assertAvailable();
    const expected = ebpfEngineUnavailable() === null ? 'ebpf' : 'pcap';
    expect(runAgent('auto')).toContain(`"engine":"${expected}"`);
  });

  it.skipIf(agentRun.skip)(`with its args and only its capabilities, the libpcap engine runs too${agentRun.suffix}`, () => {
    agentRun.assertAvailable();
    expect(runAgent('pcap')).toContain('"msg":"engine chosen"');
  });

  it('names files the ConfigMap mounts, and the CLI loads them', () => {
    const configMap = only(objects, 'ConfigMap') as K8sObject & { data: Record<string, string> };
    const mountPath = agent.volumeMounts.find((m) => m.name === 'config')!.mountPath;
    const configVolume = pod.volumes.find((v) => v.name === 'config')!.configMap as { name: string };
    expect(configVolume.name).toBe(configMap.metadata.name);
    // The mounted directory, rebuilt from the rendered ConfigMap.
    const dir = newTempDir('deploy-config');
    for (const [key, text] of Object.entries(configMap.data)) dir.write(key, text);
    const local = (path: string): string => {
      expect(path.startsWith(`${mountPath}/`), path).toBe(true);
      const key = path.slice(mountPath.length + 1);
      expect(Object.keys(configMap.data)).toContain(key);
      return dir.file(key);
    };
    const capture = join(REPO_ROOT, 'test/fixtures/profiles/apigee-hybrid.pcapng');
    const run = spawnSync('node', [join(REPO_ROOT, 'dist/bin/flowaudit.js'), 'analyze', capture, '--rules', local(arg('rules')), '--inventory', local(arg('inventory')), '-q'], { encoding: 'utf8' });
    // 0 or 1 (compliant or not): both files loaded; 2 would be bad input.
    expect([0, 1], run.stderr).toContain(run.status);
  });
});
