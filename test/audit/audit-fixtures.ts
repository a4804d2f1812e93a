/**
 * Builders for audit tests: matrices written to a temp dir and loaded as users load them, flow
 * records built field by field, and an audit run through the real Auditor into an AuditReport.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditReport } from '../../src/audit/audit-report.js';
import type { AuditedFlow, AuditSink } from '../../src/audit/audited-flow.js';
import { Auditor } from '../../src/audit/auditor.js';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import type { Matrix } from '../../src/audit/matrix.js';
import type { FlowRecord, PayloadStop } from '../../src/flow/flow-record.js';
import type { IdentityProvider } from '../../src/identity/endpoint-identity.js';
import { RecordingSink } from '../support/recording-sink.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { parseInventory } from '../../src/identity/inventory.js';
import { parseKubernetesSnapshot } from '../../src/identity/kubernetes-snapshot.js';
import { newTempDir } from '../support/temp-dir.js';

/** A TLS 1.0-framed handshake record (ClientHello / ServerHello type byte after the header). */
/** A whole TLS 1.2 ClientHello (one suite, no extensions) in one record. */
export const TLS_CLIENT_HELLO = tlsHandshakeRecord(0x0301, 0x01, Buffer.concat([
  Buffer.from([0x03, 0x03]), Buffer.alloc(32, 0x11), Buffer.from([0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]),
]));
/** The matching ServerHello, TLS 1.2; its flight (certificates, ServerHelloDone) is not captured. */
export const TLS_SERVER_HELLO = tlsHandshakeRecord(0x0303, 0x02, Buffer.concat([
  Buffer.from([0x03, 0x03]), Buffer.alloc(32, 0x22), Buffer.from([0x00, 0xc0, 0x2f, 0x00]),
]));

function tlsHandshakeRecord(recordVersion: number, type: number, body: Buffer): Buffer {
  const message = Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, recordVersion >> 8, recordVersion & 0xff, message.length >> 8, message.length & 0xff]), message]);
}
/** TLS application data, as a connection picked up after its handshake shows. */
export const TLS_APP_DATA = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]);
export const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: api\r\n\r\n', 'latin1');
export const HTTP_OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1');
export const EMPTY = Buffer.alloc(0);
/** The connections entry most audit tests start from: web -> api on TCP 443 over TLS (for webApiMatrix). */
export const WEB_TO_API_TLS = `  - id: web-to-api
    from: web
    to: api
    protocol: tcp
    ports: [443]
    security: tls
`;

/**
 * A matrix of two components, web (10.0.1.0/24) and api (10.0.2.0/24), with the connections
 * given as the YAML list items under `connections:` (indented two spaces).
 */
export function webApiMatrix(name: string, connections: string): Matrix {
  return matrixFrom(`apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: ${name}
  title: ${name} test
components:
  web:
    match:
      - cidrs: ["10.0.1.0/24"]
  api:
    match:
      - cidrs: ["10.0.2.0/24"]
connections:
${connections}`);
}

/** Writes `yaml` to a fresh temp dir and loads it with loadMatrix, as `--rules FILE` does. */
export function matrixFrom(yaml: string): Matrix {
  const dir = newTempDir('audit').path;
  try {
    const file = join(dir, 'matrix.yaml');
    writeFileSync(file, yaml);
    return loadMatrix(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FlowSpec {
  id?: number;
  protocol?: number;
  client: string;
  server: string;
  toServer?: Buffer;
  toClient?: Buffer;
  payloadStop?: PayloadStop;
  firstSeen?: number;
  lastSeen?: number;
  packets?: [number, number];
  bytes?: [number, number];
  icmp?: { type: number; code: number };
}

let nextId = 1;

/** A flow record from `ADDR:PORT` strings (`[v6]:port` for IPv6). */
export function flow(spec: FlowSpec): FlowRecord {
  const client = endpoint(spec.client);
  const server = endpoint(spec.server);
  const [pc, ps] = spec.packets ?? [3, 2];
  const [bc, bs] = spec.bytes ?? [300, 200];
  const firstSeen = spec.firstSeen ?? 1_700_000_000;
  return {
    id: spec.id ?? nextId++,
    ipVersion: client.address.includes(':') ? 6 : 4,
    protocol: spec.protocol ?? 6,
    client,
    server,
    initiatorEvidence: (spec.protocol ?? 6) === 6 ? 'syn' : 'first-packet',
    firstSeen,
    lastSeen: spec.lastSeen ?? firstSeen + 1,
    toServer: { packets: pc, bytes: bc, payload: spec.toServer ?? EMPTY, payloadStop: spec.payloadStop ?? 'end' },
    toClient: { packets: ps, bytes: bs, payload: spec.toClient ?? EMPTY, payloadStop: 'end' },
    tcpState: (spec.protocol ?? 6) === 6 ? 'closed' : 'none',
    endReason: (spec.protocol ?? 6) === 6 ? 'fin' : 'idle-timeout',
    continued: false,
    laterFragments: 0,
    ...(spec.icmp === undefined ? {} : { icmp: spec.icmp }),
  };
}

function endpoint(text: string): { address: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (m === null) throw new Error(`bad endpoint ${text}`);
  return { address: m[1], port: Number(m[2]) };
}

export function inventoryIndex(yaml: string): IdentityIndex {
  return new IdentityIndex({ inventories: [parseInventory(yaml, 'inv.yaml')] });
}

export function kubernetesIndex(json: unknown, inventoryYaml?: string): IdentityIndex {
  return new IdentityIndex({
    snapshots: [parseKubernetesSnapshot(JSON.stringify(json), 'cluster.json')],
    inventories: inventoryYaml === undefined ? [] : [parseInventory(inventoryYaml, 'inv.yaml')],
  });
}

/** Runs flows through a real Auditor into a report (keeping flows) and returns both. */
export function audit(matrix: Matrix, identities: IdentityProvider, flows: readonly FlowRecord[], extra: AuditSink[] = []): { report: AuditReport; audited: AuditedFlow[] } {
  const report = new AuditReport(matrix, true);
  const recording = new RecordingSink();
  const auditor = new Auditor(matrix, identities, [report, recording, ...extra]);
  for (const f of flows) auditor.onFlow(f);
  return { report, audited: recording.audited };
}

/** A kubectl pod item. */
export function pod(p: {
  namespace: string;
  name: string;
  ip: string;
  labels?: Record<string, string>;
  node?: string;
  hostIp?: string;
  hostNetwork?: boolean;
  ports?: number[];
  phase?: string;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: p.namespace, name: p.name, labels: p.labels ?? {} },
    spec: {
      nodeName: p.node,
      hostNetwork: p.hostNetwork,
      containers: [{ name: 'c', ports: (p.ports ?? []).map((port) => ({ containerPort: port, protocol: 'TCP' })) }],
    },
    status: { phase: p.phase ?? 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: p.hostIp },
  };
}

export function service(s: { namespace: string; name: string; clusterIp: string; selector?: Record<string, string>; labels?: Record<string, string> }): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: s.namespace, name: s.name, labels: s.labels ?? {} },
    spec: { selector: s.selector, clusterIP: s.clusterIp, clusterIPs: [s.clusterIp] },
  };
}

export function node(n: { name: string; ip: string; labels?: Record<string, string> }): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: n.labels ?? {} },
    status: { addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }] },
  };
}

export function list(items: Record<string, unknown>[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', items };
}
