/**
 * The three kinds of Kubernetes object that place an identity at an address, read from one item
 * of a kubectl JSON list. Reading is strict about types and tolerant of absence: real output
 * leaves out empty fields, and pending pods have no IP yet.
 */
import { parseAddress } from '../net/ip-address.js';
import { EXCERPT_CHARS, cut, excerpt } from '../source-position-error.js';
import type { KubernetesObjectIdentity } from './endpoint-identity.js';
import type { JsonField } from './json-field.js';

/** metadata.uid: what names an object across renames and recreations; absent in hand-made snapshots. */
interface Uid {
  readonly uid?: string;
}

export interface PodObject extends Uid {
  readonly kind: 'pod';
  readonly identity: KubernetesObjectIdentity;
  /** status.podIPs, or status.podIP from clusters older than 1.16. */
  readonly podIps: readonly Uint32Array[];
  /** status.hostIPs (1.28+) and status.hostIP: the node the pod runs on. */
  readonly hostIps: readonly Uint32Array[];
  /** Succeeded or Failed: the pod has given up its IP, which another pod may now hold. */
  readonly terminated: boolean;
}

export interface ServiceObject extends Uid {
  readonly kind: 'service';
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Null when the Service has no selector (its endpoints are managed by hand, e.g. `kubernetes`). */
  readonly selector: Readonly<Record<string, string>> | null;
  /** spec.clusterIPs and spec.clusterIP; none for headless ("None") and ExternalName Services. */
  readonly clusterIps: readonly Uint32Array[];
}

export interface NodeObject extends Uid {
  readonly kind: 'node';
  readonly identity: KubernetesObjectIdentity;
  /** InternalIP and ExternalIP addresses. */
  readonly addresses: readonly Uint32Array[];
}

/** An item of a kind that places nothing at an address (Deployments, Endpoints, ConfigMaps ...). */
export interface OtherObject {
  readonly kind: 'other';
  /** `Kind` for core objects, `Kind (group/version)` otherwise. */
  readonly type: string;
}

export type SnapshotObject = PodObject | ServiceObject | NodeObject | OtherObject;

/**
 * Reads one item; throws a ShapeError for values of the wrong type or malformed addresses.
 * `listKind` is the kind a typed list (PodList, from `kubectl get --raw`) gives items without one.
 */
export function readSnapshotObject(item: JsonField, listKind?: string): SnapshotObject {
  const kindField = item.field('kind');
  const kind = listKind !== undefined && !kindField.present ? listKind : kindField.string();
  const apiVersion = item.field('apiVersion').optionalString();
  // Pod, Service and Node are core (v1) kinds; a Knative Service, say, is something else. Items
  // of a typed list (PodList) may carry no apiVersion of their own.
  // Skipped kinds are counted by name in summaries: cut like any text from the file.
  if (apiVersion !== undefined && apiVersion !== 'v1') return { kind: 'other', type: `${cut(kind)} (${cut(apiVersion)})` };
  if (kind === 'Pod') return readPod(item);
  if (kind === 'Service') return readService(item);
  if (kind === 'Node') return readNode(item);
  return { kind: 'other', type: cut(kind) };
}

/** `Pod apigee/apigee-mart-xyz`, for errors: as much as the raw item tells, whatever its shape. */
export function describeItem(item: unknown): string {
  const record = asRecord(item);
  const metadata = asRecord(record.metadata);
  const kind = typeof record.kind === 'string' ? record.kind : 'item';
  if (typeof metadata.name !== 'string') return cut(kind);
  const name = typeof metadata.namespace === 'string' ? `${metadata.namespace}/${metadata.name}` : metadata.name;
  return `${cut(kind)} ${cut(name, 2 * EXCERPT_CHARS)}`;
}

/** A JSON value as an object's fields: none for anything that is not an object. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readPod(item: JsonField): PodObject {
  const metadata = item.field('metadata');
  const spec = item.field('spec');
  const status = item.field('status');
  const phase = status.field('phase').optionalString();
  const identity: KubernetesObjectIdentity = {
    resource: 'pod',
    namespace: metadata.field('namespace').string(),
    name: metadata.field('name').string(),
    labels: Object.freeze(metadata.field('labels').stringMap()),
    nodeName: spec.field('nodeName').optionalString(),
    hostNetwork: spec.field('hostNetwork').flag(),
    ports: Object.freeze(readContainerPorts(spec)),
  };
  return {
    kind: 'pod',
    uid: metadata.field('uid').optionalString(),
    identity: Object.freeze(identity),
    podIps: addresses([status.field('podIP'), ...status.field('podIPs').list().map((p) => p.field('ip'))]),
    hostIps: addresses([status.field('hostIP'), ...status.field('hostIPs').list().map((p) => p.field('ip'))]),
    terminated: phase === 'Succeeded' || phase === 'Failed',
  };
}

/** TCP and UDP ports of the containers, each once; SCTP is left out (the identity has no place for it). */
function readContainerPorts(spec: JsonField): { port: number; protocol: 'tcp' | 'udp' }[] {
  const ports: { port: number; protocol: 'tcp' | 'udp' }[] = [];
  for (const container of spec.field('containers').list()) {
    for (const entry of container.field('ports').list()) {
      const portField = entry.field('containerPort');
      const port = portField.optionalInteger();
      if (port === undefined || port < 1 || port > 65535) throw portField.error('must be a port number 1-65535');
      const protocol = (entry.field('protocol').optionalString() ?? 'TCP').toLowerCase();
      if ((protocol === 'tcp' || protocol === 'udp') && !ports.some((p) => p.port === port && p.protocol === protocol)) {
        ports.push(Object.freeze({ port, protocol }));
      }
    }
  }
  return ports;
}

function readService(item: JsonField): ServiceObject {
  const metadata = item.field('metadata');
  const spec = item.field('spec');
  const selector = spec.field('selector').stringMap();
  const clusterIps = [spec.field('clusterIP'), ...spec.field('clusterIPs').list()].filter((f) => {
    // "None" marks a headless Service; ExternalName Services have "" or nothing.
    const text = f.optionalString();
    return text !== undefined && text !== '' && text !== 'None';
  });
  return {
    kind: 'service',
    uid: metadata.field('uid').optionalString(),
    namespace: metadata.field('namespace').string(),
    name: metadata.field('name').string(),
    labels: Object.freeze(metadata.field('labels').stringMap()),
    // An empty selector is serialised away by the API server, and selects no pods either way.
    selector: Object.keys(selector).length > 0 ? Object.freeze(selector) : null,
    clusterIps: addresses(clusterIps),
  };
}

function readNode(item: JsonField): NodeObject {
  const metadata = item.field('metadata');
  const wanted = item.field('status').field('addresses').list().filter((a) => {
    const type = a.field('type').optionalString();
    return type === 'InternalIP' || type === 'ExternalIP';
  });
  return {
    kind: 'node',
    uid: metadata.field('uid').optionalString(),
    identity: Object.freeze({ resource: 'node', name: metadata.field('name').string(), labels: Object.freeze(metadata.field('labels').stringMap()) }),
    addresses: addresses(wanted.map((a) => a.field('address'))),
  };
}

/** The addresses the present fields hold, each once, in field order. */
function addresses(fields: readonly JsonField[]): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (const field of fields) {
    const text = field.optionalString();
    if (text === undefined || text === '') continue;
    const words = parseAddress(text);
    if (words === null) throw field.error(`${excerpt(text)} is not an IP address`);
    if (!out.some((w) => w[0] === words[0] && w[1] === words[1] && w[2] === words[2] && w[3] === words[3])) out.push(words);
  }
  return out;
}
