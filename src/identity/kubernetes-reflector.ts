/**
 * One resource (pods, Services or nodes) followed as client-go's reflector follows it: listed a
 * page at a time, then watched from the list's resourceVersion with bookmarks, each event turned
 * into the same PodObject, ServiceObject or NodeObject a snapshot gives (readSnapshotObject on the
 * raw JSON, so only the fields the audit reads are kept) and delivered as an upsert or delete at
 * the time it was read.
 *
 * A watch the server ends is started again from the last resourceVersion seen; one that fails (a
 * cut connection, an error event, a server gone quiet) is started again with backoff (1 s doubling
 * to 30 s; the waits start over once a watch has run 30 s), counted as a restart; a 410 Gone lists
 * again at once, and that list delivers its difference from what was known: upserts of objects new
 * or changed (by resourceVersion), deletes of those gone. Meanwhile the index keeps the last state.
 */
import type { IncomingMessage } from 'node:http';
import { restartDelayMs } from '../engine/loader-supervisor.js';
import type { IdentityUpdate, IdentityUpdates } from './identity-source.js';
import { JsonField, ShapeError } from './json-field.js';
import { KubernetesApiError, readBounded, refusal, type ApiVerb, type KubernetesApi } from './kubernetes-api.js';
import { asRecord, describeItem, readSnapshotObject, type NodeObject, type PodObject, type ServiceObject } from './kubernetes-objects.js';
import { kubernetesKey } from './snapshot-updates.js';
import { readLines } from './watch-lines.js';

export interface KubernetesResource {
  /** The API's plural name: the path segment, the `resource` label, what errors name. */
  readonly resource: 'pods' | 'services' | 'nodes';
  /** The kind its list's items are. */
  readonly kind: 'Pod' | 'Service' | 'Node';
}

/** Nodes first: a hostNetwork pod is placed at its node's addresses once the node is known. */
export const KUBERNETES_RESOURCES: readonly KubernetesResource[] = [
  { resource: 'nodes', kind: 'Node' },
  { resource: 'pods', kind: 'Pod' },
  { resource: 'services', kind: 'Service' },
];

export interface ReflectorOptions {
  /** Objects asked per list page. */
  readonly pageSize: number;
  /** How long the server is asked to keep a watch open before ending it (it sends a bookmark about every minute meanwhile). */
  readonly watchSeconds: number;
  /** A connection without a byte for this long is given up and started again. */
  readonly idleMs: number;
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  /** Longest watch event read; a longer one is skipped and counted (etcd keeps objects under 1.5 MB). */
  readonly maxEventBytes: number;
  /** Longest the source's start() waits for the first lists (an API that does not answer must not hold the agent's /healthz back). */
  readonly startWaitMs: number;
}

export const DEFAULT_REFLECTOR_OPTIONS: ReflectorOptions = {
  pageSize: 500,
  watchSeconds: 300,
  idleMs: 90_000,
  firstRetryMs: 1000,
  maxRetryMs: 30_000,
  maxEventBytes: 8 << 20,
  startWaitMs: 10_000,
};

/** Largest list page read: 500 objects of 1.5 MB, etcd's limit, would not fit; 500 real pods take a few MB. */
const MAX_PAGE_BYTES = 256 << 20;

/** What the source's log is told (pino's Logger fits). */
export interface SourceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

type KubernetesObject = PodObject | ServiceObject | NodeObject;

export class ResourceReflector {
  /** True once a list was delivered. */
  listed = false;
  /** Listed and watching; false while in backoff. */
  up = false;
  downReason: string | null;
  /** Wall-clock seconds the state was last known current (a list, a watch answered, an event or bookmark). */
  lastSync: number | null = null;
  restarts = 0;
  /** Objects and watch events that could not be read. */
  rejected = 0;
  /** Resolves once the first list was tried: null when it was delivered, else why not. */
  readonly firstList: Promise<KubernetesApiError | null>;

  private readonly path: string;
  private readonly objectKind: KubernetesObject['kind'];
  /** Key -> resourceVersion of every object delivered and not deleted. */
  private known = new Map<string, string>();
  private resourceVersion = '';
  /** When the resource was lost (Date.now()), for the log line when it is back; null while followed. */
  private lostAt: number | null = null;
  private closed = false;
  /** While the source's start() waits: a refused first list ends the reflector (the start fails) instead of being retried. */
  private refuseAtStart = true;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settleFirst: (result: KubernetesApiError | null) => void = () => {};

  constructor(
    private readonly api: KubernetesApi,
    readonly resource: KubernetesResource,
    private readonly updates: IdentityUpdates,
    private readonly log: SourceLog,
    private readonly options: ReflectorOptions = DEFAULT_REFLECTOR_OPTIONS,
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {
    this.path = `/api/v1/${resource.resource}`;
    this.downReason = `${resource.resource}: not listed yet`;
    this.objectKind = resource.kind === 'Pod' ? 'pod' : resource.kind === 'Service' ? 'service' : 'node';
    this.firstList = new Promise((resolve) => (this.settleFirst = resolve));
  }

  /** Objects held now. */
  get objects(): number {
    return this.known.size;
  }

  /** Lists and watches until close(); returns at once (await `firstList` for the first list). */
  start(): void {
    void this.run();
  }

  /** The source's start() has returned: from now on a refusal is retried like any failure (RBAC may be fixed while the agent runs). */
  endStart(): void {
    this.refuseAtStart = false;
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let relist = true;
    let first = true;
    while (!this.closed) {
      const began = Date.now();
      try {
        if (relist) {
          await this.list();
          relist = false;
          this.settleFirst(null);
        }
        first = false;
        await this.watch();
        // A watch that ran and ended as watches do: the next failure starts the waits over.
        attempt = 0;
      } catch (err) {
        if (this.closed) return;
        const error = err instanceof KubernetesApiError ? err : new KubernetesApiError(`cannot ${relist ? 'list' : 'watch'} ${this.resource.resource}: ${(err as Error).message}`, null);
        const refusedAtStart = first && error.refused && this.refuseAtStart;
        first = false;
        // A first list refused is a deployment error the source refuses to start on: no retry.
        if (refusedAtStart) return this.settleFirst(error);
        this.settleFirst(error);
        this.restarts++;
        if (error.gone) {
          // The watch's resourceVersion is older than the server keeps: only a new list catches up.
          relist = true;
          this.log.info({ resource: this.resource.resource, reason: error.message }, 'Kubernetes watch expired; listing again');
          continue;
        }
        if (Date.now() - began >= this.options.maxRetryMs) attempt = 0;
        const retryInMs = restartDelayMs(attempt++, this.options.firstRetryMs, this.options.maxRetryMs);
        this.up = false;
        this.downReason = error.message;
        this.lostAt ??= Date.now();
        this.log.warn({ resource: this.resource.resource, error: error.message, retryInMs }, 'Kubernetes API request failed; keeping the last state, retrying');
        await this.sleep(retryInMs);
      }
    }
  }

  /** Lists every object, a page at a time, and delivers the difference from what was known. */
  private async list(): Promise<void> {
    const seen = new Map<string, string>();
    const updates: IdentityUpdate[] = [];
    let token = '';
    do {
      const query = `?limit=${this.options.pageSize}${token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`;
      const page = await this.getJson('list', this.path + query);
      const metadata = asRecord(page.metadata);
      if (!Array.isArray(page.items)) throw new Error(`the answer is not a ${this.resource.kind}List`);
      page.items.forEach((raw: unknown, i: number) => {
        const object = this.read(raw, ['items', i]);
        const version = resourceVersionOf(raw);
        if (object === null) {
          // Unreadable now: what was delivered of it stays until it is readable or deleted.
          const key = uidOf(raw);
          const old = key === undefined ? undefined : this.known.get(key);
          if (key !== undefined && old !== undefined) seen.set(key, old);
          return;
        }
        const key = kubernetesKey(object);
        seen.set(key, version);
        if (this.known.get(key) !== version) updates.push({ op: 'upsert', key, object });
      });
      if (typeof metadata.resourceVersion === 'string') this.resourceVersion = metadata.resourceVersion;
      token = typeof metadata.continue === 'string' ? metadata.continue : '';
    } while (token !== '' && !this.closed);
    for (const key of this.known.keys()) if (!seen.has(key)) updates.push({ op: 'delete', key, kind: this.objectKind });
    // The first list is told by the source's start line: a start refused elsewhere says only its error.
    if (this.listed) this.log.info({ resource: this.resource.resource, objects: seen.size, applied: updates.length }, 'Kubernetes resource listed again');
    this.known = seen;
    // The first list is what held before the agent started; later ones are news as of now.
    const at = this.listed ? this.clock() : -Infinity;
    if (updates.length > 0) this.updates.apply(at, updates);
    this.listed = true;
    this.up = true;
    this.downReason = null;
    this.lastSync = Date.now() / 1000;
  }

  /** Watches from the last resourceVersion until the server ends the watch (resolves) or it fails (rejects). */
  private async watch(): Promise<void> {
    const query = `?watch=1&allowWatchBookmarks=true&timeoutSeconds=${this.options.watchSeconds}&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
    const response = await this.api.get('watch', this.resource.resource, this.path + query, this.options.idleMs, this.abort.signal);
    const began = Date.now();
    if (this.lostAt !== null) this.log.info({ resource: this.resource.resource, downMs: began - this.lostAt }, 'Kubernetes watch running again');
    this.lostAt = null;
    this.up = true;
    this.downReason = null;
    this.lastSync = began / 1000;
    const { rest } = await readLines(response, this.options.maxEventBytes, (lines, skipped) => {
      for (let i = 0; i < skipped; i++) this.reject(`a watch event longer than ${this.options.maxEventBytes} bytes`);
      this.onEvents(lines);
    });
    if (rest.trim() !== '') this.reject('a watch event cut short at the end of the stream');
    if (Date.now() - began < this.options.firstRetryMs) throw new Error('the API server ended the watch at once');
  }

  /** The events that arrived together, delivered as one batch (those before an ERROR event too). */
  private onEvents(lines: readonly string[]): void {
    const updates: IdentityUpdate[] = [];
    try {
      for (const line of lines) {
        if (line.trim() !== '') this.onEvent(line, updates);
      }
    } finally {
      if (updates.length > 0) this.updates.apply(this.clock(), updates);
      this.lastSync = Date.now() / 1000;
    }
  }

  private onEvent(line: string, updates: IdentityUpdate[]): void {
    let event: Record<string, unknown>;
    try {
      event = asRecord(JSON.parse(line));
    } catch {
      return this.reject(`a watch event that is not JSON (${line.length} characters)`);
    }
    const raw = event.object;
    if (event.type === 'ERROR') {
      const status = asRecord(raw);
      const code = typeof status.code === 'number' ? status.code : 0;
      throw new KubernetesApiError(refusal('watch', this.resource.resource, code, typeof status.message === 'string' ? status.message : ''), code);
    }
    const version = resourceVersionOf(raw);
    if (event.type === 'BOOKMARK') {
      if (version !== '') this.resourceVersion = version;
      return;
    }
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return this.reject(`a watch event of type ${JSON.stringify(event.type)}`);
    if (version !== '') this.resourceVersion = version;
    if (event.type === 'DELETED') {
      // Gone whether or not it still reads: by its UID, as the API always gives one.
      const uid = uidOf(raw);
      const object = uid === undefined ? this.read(raw, ['object']) : null;
      const key = uid ?? (object === null ? undefined : kubernetesKey(object));
      if (key !== undefined && this.known.delete(key)) updates.push({ op: 'delete', key, kind: this.objectKind });
      return;
    }
    const object = this.read(raw, ['object']);
    if (object === null) return;
    const key = kubernetesKey(object);
    if (this.known.get(key) !== version || version === '') {
      this.known.set(key, version);
      updates.push({ op: 'upsert', key, object });
    }
  }

  /** The object, or null (counted and logged) when it does not read as this resource's kind. */
  private read(raw: unknown, path: (string | number)[]): KubernetesObject | null {
    try {
      const object = readSnapshotObject(new JsonField(raw, path), this.resource.kind);
      if (object.kind === this.objectKind) return object;
      this.reject(`${describeItem(raw)}: not a ${this.resource.kind}`);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      this.reject(`${describeItem(raw)}: ${err.path.slice(path.length).join('.')}: ${err.detail}`);
    }
    return null;
  }

  private reject(what: string): void {
    this.rejected++;
    this.log.warn({ resource: this.resource.resource, object: what }, 'Kubernetes object not read; skipped');
  }

  private async getJson(verb: ApiVerb, path: string): Promise<Record<string, unknown>> {
    const response: IncomingMessage = await this.api.get(verb, this.resource.resource, path, this.options.idleMs, this.abort.signal);
    const text = await readBounded(response, MAX_PAGE_BYTES);
    try {
      return asRecord(JSON.parse(text));
    } catch {
      throw new Error(`the answer is not JSON (${text.length} characters)`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}

function resourceVersionOf(raw: unknown): string {
  const version = asRecord(asRecord(raw).metadata).resourceVersion;
  return typeof version === 'string' ? version : '';
}

function uidOf(raw: unknown): string | undefined {
  const uid = asRecord(asRecord(raw).metadata).uid;
  return typeof uid === 'string' ? uid : undefined;
}
