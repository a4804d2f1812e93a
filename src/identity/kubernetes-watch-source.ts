/**
 * The Kubernetes API as an identity source (`watch --kubernetes`): pods, Services and nodes, each
 * listed and watched by its own ResourceReflector into the same index the snapshot path feeds.
 *
 * start() waits for the first list of each resource to be tried, at most `startWaitMs`. A 401 or
 * 403 there is a deployment error (a missing ClusterRole or binding) and refuses to start, in one
 * line naming the verb and resource; an API that does not answer is not: the agent starts (its
 * /healthz must answer before a liveness probe gives up), not ready, and the reflectors keep
 * trying, a refusal included. Once listed, a resource that is lost (the API down, RBAC revoked) keeps
 * its last state in the index and says so in status() until its watch runs again.
 */
import type { IdentityObjectKind, IdentitySource, IdentitySourceStatus, IdentityUpdates } from './identity-source.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { DEFAULT_REFLECTOR_OPTIONS, KUBERNETES_RESOURCES, ResourceReflector, type ReflectorOptions, type SourceLog } from './kubernetes-reflector.js';

const KIND_OF = { pods: 'pod', services: 'service', nodes: 'node' } as const satisfies Record<string, IdentityObjectKind>;

export class KubernetesWatchSource implements IdentitySource {
  private reflectors: ResourceReflector[] = [];

  constructor(
    private readonly api: KubernetesApi,
    private readonly log: SourceLog,
    private readonly options: Partial<ReflectorOptions> = {},
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {}

  /** Starts following every resource; throws the first refusal (401, 403) of a first list. */
  async start(updates: IdentityUpdates): Promise<void> {
    const options = { ...DEFAULT_REFLECTOR_OPTIONS, ...this.options };
    this.reflectors = KUBERNETES_RESOURCES.map((resource) => new ResourceReflector(this.api, resource, updates, this.log, options, this.clock));
    for (const reflector of this.reflectors) reflector.start();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waited'>((resolve) => (timer = setTimeout(resolve, options.startWaitMs, 'waited')));
    const outcomes = await Promise.race([Promise.all(this.reflectors.map((r) => r.firstList)), waited]);
    clearTimeout(timer);
    for (const reflector of this.reflectors) reflector.endStart();
    const refused = outcomes === 'waited' ? undefined : outcomes.find((error) => error?.refused === true);
    if (refused !== undefined && refused !== null) {
      this.close();
      throw refused;
    }
    this.log.info({ server: this.api.server, synced: outcomes !== 'waited' && outcomes.every((error) => error === null) }, 'following the Kubernetes API');
  }

  close(): void {
    for (const reflector of this.reflectors) reflector.close();
  }

  status(): IdentitySourceStatus {
    const down = this.reflectors.filter((r) => !r.up);
    const synced = this.reflectors.length > 0 && this.reflectors.every((r) => r.listed);
    const times = this.reflectors.map((r) => r.lastSync);
    return {
      source: 'kubernetes',
      up: this.reflectors.length > 0 && down.length === 0,
      downReason: down.length === 0 ? null : down.map((r) => r.downReason).join('; '),
      synced,
      // The state is as current as its least current resource.
      lastSync: synced && times.every((t) => t !== null) ? Math.min(...(times as number[])) : null,
      restarts: new Map(this.reflectors.map((r) => [r.resource.resource, r.restarts])),
      objects: new Map(this.reflectors.map((r) => [KIND_OF[r.resource.resource], r.objects])),
      rejected: new Map(this.reflectors.map((r) => [r.resource.resource, r.rejected])),
    };
  }
}
