/**
 * A Kubernetes API server of our own for tests of the identity source: HTTPS with a test CA, a
 * bearer token as the service account's, and the list and watch protocol of pods, Services and
 * nodes over recorded objects: paged lists (limit, continue), chunked watch streams from a
 * resourceVersion, BOOKMARK events, ERROR 410 for a resourceVersion older than the kept history,
 * 401 for a wrong token, 403 for a resource the RBAC rules deny. A test changes objects, cuts
 * watches mid-event, stalls answers, and takes the server down and up on the same port.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { TestPki } from './test-pki.js';
import type { TempDir } from './temp-dir.js';

export type Resource = 'pods' | 'services' | 'nodes';
const KINDS: Record<Resource, string> = { pods: 'Pod', services: 'Service', nodes: 'Node' };

/** A raw API object: what `kubectl get -o json` shows of one item. */
export type RawObject = Record<string, unknown> & { metadata: Record<string, unknown> & { uid: string; name: string; namespace?: string; resourceVersion?: string } };

interface Watcher {
  readonly resource: Resource;
  readonly res: ServerResponse;
  readonly timers: NodeJS.Timeout[];
}

interface RecordedEvent {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: RawObject;
}

export interface FakeKubeApiOptions {
  readonly pki: TestPki;
  readonly token: string;
  /** A BOOKMARK on every open watch this often (default 200 ms). */
  readonly bookmarkMs?: number;
}

export class FakeKubeApi {
  /** Every request, as `list pods`, `watch pods rv=12`, in order. */
  readonly requests: string[] = [];
  /** Denied verbs per resource, with the status (401 or 403). */
  readonly denied = new Map<Resource, number>();
  /** While true, requests are accepted and never answered. */
  stalled = false;
  private readonly objects: Record<Resource, Map<string, RawObject>> = { pods: new Map(), services: new Map(), nodes: new Map() };
  private history: RecordedEvent[] = [];
  /** Watches from before this resourceVersion get 410 Gone. */
  private oldest = 1;
  private rv = 1;
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private port = 0;

  private constructor(private readonly options: FakeKubeApiOptions) {
    this.server = this.makeServer();
  }

  static async start(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
    const api = new FakeKubeApi(options);
    await api.listen();
    return api;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Open watch streams now, by resource. */
  watching(resource: Resource): number {
    return [...this.watchers].filter((w) => w.resource === resource).length;
  }

  /** Adds or replaces an object (by UID), told to watchers as ADDED or MODIFIED. */
  upsert(resource: Resource, object: RawObject): void {
    const known = this.objects[resource].has(object.metadata.uid);
    this.record(resource, known ? 'MODIFIED' : 'ADDED', object);
  }

  delete(resource: Resource, uid: string): void {
    const object = this.objects[resource].get(uid);
    if (object !== undefined) this.record(resource, 'DELETED', object);
  }

  /** Changes the objects without telling watchers (as if their events were lost): only a list sees the change. */
  replaceSilently(resource: Resource, objects: readonly RawObject[]): void {
    this.rv++;
    const known = this.objects[resource];
    // An object left as it was keeps its resourceVersion, as on a real server.
    const same = (o: RawObject): RawObject | undefined => {
      const old = known.get(o.metadata.uid);
      return old !== undefined && JSON.stringify(old) === JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: old.metadata.resourceVersion } }) ? old : undefined;
    };
    this.objects[resource] = new Map(objects.map((o) => [o.metadata.uid, same(o) ?? this.stamp(o)]));
  }

  /** Forgets the event history: watches from an older resourceVersion get ERROR 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldest = this.rv + 1;
  }

  /** Ends every open watch mid-event: half a line written, then the connection reset. */
  cutWatches(): void {
    for (const watcher of this.watchers) {
      watcher.res.write('{"type":"MODIFIED","object":{"kind":');
      watcher.res.socket?.destroy();
      this.dropWatcher(watcher);
    }
  }

  /** Stops listening and drops every connection, as an API server that went away. */
  async down(): Promise<void> {
    for (const watcher of this.watchers) this.dropWatcher(watcher);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.down();
  }

  /** A kubeconfig reaching this server with the token and the test CA. */
  writeKubeconfig(dir: TempDir, name = 'kubeconfig'): string {
    return dir.write(
      name,
      `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster:
      server: ${this.url}
      certificate-authority: ${this.options.pki.caCert}
users:
  - name: flowaudit
    user:
      token: ${this.options.token}
contexts:
  - name: fake
    context: { cluster: fake, user: flowaudit }
current-context: fake
`,
    );
  }

  /** A service account folder (token, ca.crt) as a pod has it mounted, under `dir`; returns the root prefix. */
  writeServiceAccount(dir: TempDir): string {
    dir.write('var/run/secrets/kubernetes.io/serviceaccount/token', this.options.token);
    dir.write('var/run/secrets/kubernetes.io/serviceaccount/ca.crt', readFileSync(this.options.pki.caCert));
    return dir.path;
  }

  private record(resource: Resource, type: RecordedEvent['type'], object: RawObject): void {
    this.rv++;
    const stamped = this.stamp(object);
    if (type === 'DELETED') this.objects[resource].delete(object.metadata.uid);
    else this.objects[resource].set(object.metadata.uid, stamped);
    const event: RecordedEvent = { rv: this.rv, resource, type, object: stamped };
    this.history.push(event);
    for (const watcher of this.watchers) if (watcher.resource === resource) send(watcher.res, event);
  }

  private stamp(object: RawObject): RawObject {
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(this.rv) } };
  }

  private makeServer(): Server {
    const { pki } = this.options;
    const server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => this.route(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      }),
    );
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake');
    const match = /^\/api\/v1\/(pods|services|nodes)$/.exec(url.pathname);
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const resource = match?.[1] as Resource | undefined;
    this.requests.push(`${watch ? 'watch' : 'list'} ${resource ?? url.pathname}${watch ? ` rv=${url.searchParams.get('resourceVersion')}` : ''}`);
    if (this.stalled) return;
    if (req.headers.authorization !== `Bearer ${this.options.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (resource === undefined) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const denied = this.denied.get(resource);
    if (denied !== undefined) {
      const verb = watch ? 'watch' : 'list';
      return status(res, denied, denied === 403 ? 'Forbidden' : 'Unauthorized', `${resource} is forbidden: User "system:serviceaccount:flowaudit:flowaudit" cannot ${verb} resource "${resource}" in API group "" at the cluster scope`);
    }
    if (watch) this.watch(resource, url, res);
    else this.list(resource, url, res);
  }

  private list(resource: Resource, url: URL, res: ServerResponse): void {
    const all = [...this.objects[resource].values()];
    const limit = Number(url.searchParams.get('limit') ?? all.length) || all.length;
    const offset = Number(url.searchParams.get('continue') ?? 0);
    const items = all.slice(offset, offset + limit).map((o) => {
      // Items of a typed list carry neither kind nor apiVersion.
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = o;
      return rest;
    });
    const next = offset + limit < all.length ? String(offset + limit) : undefined;
    const body = { kind: `${KINDS[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), ...(next === undefined ? {} : { continue: next }) }, items };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private watch(resource: Resource, url: URL, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const from = Number(url.searchParams.get('resourceVersion') ?? 0);
    if (from < this.oldest - 1) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${from} (${this.oldest})`, reason: 'Expired', code: 410 } })}\n`);
      return;
    }
    for (const event of this.history) if (event.resource === resource && event.rv > from) send(res, event);
    const watcher: Watcher = { resource, res, timers: [] };
    const bookmark = () => res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: KINDS[resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`);
    watcher.timers.push(setInterval(bookmark, this.options.bookmarkMs ?? 200));
    const seconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    if (seconds > 0) {
      watcher.timers.push(
        setTimeout(() => {
          this.dropWatcher(watcher);
          res.end();
        }, seconds * 1000),
      );
    }
    res.on('close', () => this.dropWatcher(watcher));
    this.watchers.add(watcher);
  }

  private dropWatcher(watcher: Watcher): void {
    for (const timer of watcher.timers) clearTimeout(timer);
    this.watchers.delete(watcher);
  }
}

function send(res: ServerResponse, event: RecordedEvent): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

/** What a test says of a pod; the rest is filled in as a real API server's pod has it. */
export interface PodSpec {
  readonly uid: string;
  readonly name: string;
  readonly namespace?: string;
  readonly ip?: string;
  readonly node?: string;
  readonly hostIp?: string;
  readonly labels?: Record<string, string>;
  readonly hostNetwork?: boolean;
  readonly ports?: readonly number[];
  readonly phase?: string;
}

export function pod(spec: PodSpec): RawObject {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      uid: spec.uid,
      name: spec.name,
      namespace: spec.namespace ?? 'shop',
      labels: spec.labels ?? { app: spec.name },
      creationTimestamp: '2026-12-06T10:00:00Z',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${spec.name}-rs`, uid: `rs-${spec.uid}`, controller: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: '2026-12-06T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
    },
    spec: {
      ...(spec.node === undefined ? {} : { nodeName: spec.node }),
      ...(spec.hostNetwork === true ? { hostNetwork: true } : {}),
      containers: [
        {
          name: 'main',
          image: `registry.example/${spec.name}:1.0`,
          ports: (spec.ports ?? []).map((port) => ({ containerPort: port, protocol: 'TCP' })),
          env: [{ name: 'LOG_LEVEL', value: 'info' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      ],
      serviceAccountName: 'default',
    },
    status: {
      phase: spec.phase ?? 'Running',
      ...(spec.hostIp === undefined ? {} : { hostIP: spec.hostIp, hostIPs: [{ ip: spec.hostIp }] }),
      ...(spec.ip === undefined ? {} : { podIP: spec.ip, podIPs: [{ ip: spec.ip }] }),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-06T10:00:05Z' }],
    },
  };
}

export function service(spec: { uid: string; name: string; namespace?: string; clusterIp: string; selector?: Record<string, string> }): RawObject {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { uid: spec.uid, name: spec.name, namespace: spec.namespace ?? 'shop', labels: { app: spec.name } },
    spec: { clusterIP: spec.clusterIp, clusterIPs: [spec.clusterIp], ...(spec.selector === undefined ? {} : { selector: spec.selector }), ports: [{ port: 443, protocol: 'TCP', targetPort: 8443 }], type: 'ClusterIP' },
    status: { loadBalancer: {} },
  };
}

export function node(spec: { uid: string; name: string; address: string; labels?: Record<string, string> }): RawObject {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { uid: spec.uid, name: spec.name, labels: spec.labels ?? { 'kubernetes.io/hostname': spec.name } },
    spec: { podCIDR: '10.244.0.0/24' },
    status: { addresses: [{ type: 'InternalIP', address: spec.address }, { type: 'Hostname', address: spec.name }] },
  };
}
