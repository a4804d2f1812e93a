import { cidrContains } from '../net/cidr.js';
import { parseAddress } from '../net/ip-address.js';
import { GenerationalCache } from '../generational-cache.js';
import type { EndpointIdentity, KubernetesObjectIdentity, NameEvidence } from '../identity/endpoint-identity.js';
import { hostnameGlob, normaliseHostname, podGlob } from './glob.js';
import type { Component, Matrix, Selector } from './matrix.js';

/** A component an endpoint belongs to, and the evidence: "pod apigee/apigee-mart-0", "cidr 10.0.0.0/8". */
export interface ComponentMatch {
  readonly component: string;
  readonly via: string;
  /** Context components (every pod, the nodes, the internet) rank below the vendor's own. */
  readonly context: boolean;
  /**
   * False when only an address-class selector (`internal`, `external`) matched: the endpoint fits
   * a catch-all such as "any resolver" but nothing says who it is. With no rule to allow its flow,
   * such an endpoint is an unknown peer.
   */
  readonly identified: boolean;
}

/** Identities whose matches are kept per generation: between this and twice this many. */
const CACHE_GENERATION = 65536;
const NO_NAMES: readonly NameEvidence[] = Object.freeze([]);

/** One identity's matches: those neither its port nor learnt names can change, and the others by key. */
interface IdentityMatches {
  /** Whether the server port can change what the identity matches (see portSelective()). */
  readonly portSelective: boolean;
  plain: readonly ComponentMatch[] | undefined;
  byKey: Map<number | string, readonly ComponentMatch[]> | undefined;
}

type CompiledSelector = (identity: EndpointIdentity, words: Uint32Array | null, serverPort: number | undefined) => string | null;

/**
 * Decides which components of a matrix an endpoint belongs to. Selectors are compiled once (globs
 * to regular expressions); an endpoint belongs to a component when any of its selectors matches
 * or an inventory entry names the component.
 */
export class ComponentMatcher {
  private readonly compiled: { readonly component: Component; readonly selectors: readonly CompiledSelector[]; readonly catchAlls: readonly CompiledSelector[] }[];
  /** Whether any component is matched by hostname: if none is, names a flow learns change nothing. */
  readonly matchesNames: boolean;
  /** The `except` lists of the components that have one: their members identified as these are not theirs. */
  private readonly exclusions: ReadonlyMap<string, readonly string[]>;
  /**
   * Results per identity, server port and learnt names: flows repeat endpoints far more than they
   * add new ones. Identities come from the provider's own cache, one object per address, so the
   * map hashes object identities rather than address texts.
   */
  private readonly cache = new GenerationalCache<EndpointIdentity, IdentityMatches>(CACHE_GENERATION);

  constructor(matrix: Matrix) {
    this.compiled = [...matrix.components.values()].map((component) => ({
      component,
      selectors: component.selectors.filter((s) => !isCatchAll(s)).map(compileSelector),
      catchAlls: component.selectors.filter(isCatchAll).map(compileSelector),
    }));
    this.matchesNames = [...matrix.components.values()].some((c) => c.selectors.some((s) => s.kind === 'hostname'));
    this.exclusions = new Map([...matrix.components.values()].filter((c) => c.except.length > 0).map((c) => [c.name, c.except]));
  }

  /**
   * @param serverPort for the responder side: the port it was reached on, which tells apart the
   *   hostNetwork pods sharing a node address (only a pod that declares this port is there)
   * @param learnt names this flow gives the endpoint beyond its identity's own (DNS answers, SNI)
   */
  match(identity: EndpointIdentity, serverPort?: number, learnt: readonly NameEvidence[] = NO_NAMES): readonly ComponentMatch[] {
    let entry = this.cache.get(identity);
    if (entry === undefined) {
      entry = { portSelective: portSelective(identity), plain: undefined, byKey: undefined };
      this.cache.set(identity, entry);
    }
    // A client, and a server whose matches cannot depend on its port (a server reached on six
    // ports is matched once), without learnt names: the entry's own field, no second lookup.
    const names = this.matchesNames ? learnt : NO_NAMES;
    const port = serverPort !== undefined && entry.portSelective ? serverPort : -1;
    if (port === -1 && names.length === 0) return (entry.plain ??= this.matchUncached(identity, serverPort));
    // Else by port (-1 when it does not matter), then names.
    let key: number | string = port;
    for (let i = 0; i < names.length; i++) key = `${key}|${names[i].source}:${names[i].name}`;
    entry.byKey ??= new Map();
    let matches = entry.byKey.get(key);
    if (matches === undefined) {
      const named = names.length === 0 ? identity : { ...identity, names: [...identity.names, ...names] };
      matches = this.matchUncached(named, serverPort);
      entry.byKey.set(key, matches);
    }
    return matches;
  }

  private matchUncached(identity: EndpointIdentity, serverPort: number | undefined): ComponentMatch[] {
    const words = parseAddress(identity.address);
    const matches: ComponentMatch[] = [];
    for (const { component, selectors, catchAlls } of this.compiled) {
      let via: string | null = null;
      const entry = identity.inventory.find((e) => e.components.includes(component.name));
      if (entry !== undefined) via = `inventory ${entry.name} (${entry.source})`;
      for (let i = 0; via === null && i < selectors.length; i++) via = selectors[i](identity, words, serverPort);
      const identified = via !== null;
      for (let i = 0; via === null && i < catchAlls.length; i++) via = catchAlls[i](identity, words, serverPort);
      if (via !== null) matches.push({ component: component.name, via, context: component.context, identified });
    }
    // Most specific first: identified vendor components, identified context ones, then catch-alls.
    return this.withoutExcepted(matches).sort((a, b) => rank(a) - rank(b));
  }

  /** Drops each match whose component excepts another component the endpoint is identified as. */
  private withoutExcepted(matches: ComponentMatch[]): ComponentMatch[] {
    if (this.exclusions.size === 0) return matches;
    return matches.filter((m) => {
      const except = this.exclusions.get(m.component);
      return except === undefined || !matches.some((other) => other.identified && except.includes(other.component));
    });
  }
}

function compileSelector(selector: Selector): CompiledSelector {
  switch (selector.kind) {
    case 'kubernetes': {
      const { resource, namespace, labels } = selector;
      const wanted = Object.entries(labels);
      const fits = (o: KubernetesObjectIdentity): boolean =>
        (namespace === undefined || o.namespace === namespace) && wanted.every(([k, v]) => o.labels[k] === v);
      return (identity, _words, serverPort) => {
        for (const o of identity.kubernetes) {
          if (resource === 'pod') {
            const pod = o.resource === 'pod' ? (fits(o) && servesPort(o, serverPort) ? o : undefined) : o.resource === 'service' ? o.selectedPods?.find(fits) : undefined;
            if (pod !== undefined) return o === pod ? `pod ${describe(pod)}` : `service ${describe(o)} -> pod ${describe(pod)}`;
          } else if (o.resource === resource && fits(o)) {
            return `${resource} ${describe(o)}`;
          }
        }
        return null;
      };
    }
    case 'pod': {
      const re = podGlob(selector.pattern);
      const fits = (o: KubernetesObjectIdentity): boolean => re.test(o.name) && (selector.namespace === undefined || o.namespace === selector.namespace);
      return (identity, _words, serverPort) => {
        for (const o of identity.kubernetes) {
          if (o.resource === 'pod' && fits(o) && servesPort(o, serverPort)) return `pod ${describe(o)}`;
          const pod = o.resource === 'service' ? o.selectedPods?.find(fits) : undefined;
          if (pod !== undefined) return `service ${describe(o)} -> pod ${describe(pod)}`;
        }
        return null;
      };
    }
    case 'cidr':
      return (_identity, words) => {
        if (words === null) return null;
        const hit = selector.cidrs.find((c) => cidrContains(c, words));
        return hit === undefined ? null : `cidr ${hit.text}`;
      };
    case 'hostname': {
      const patterns = selector.patterns.map((p) => ({ p, re: hostnameGlob(p) }));
      return (identity) => {
        for (const n of identity.names) {
          const name = normaliseHostname(n.name);
          const hit = patterns.find(({ re }) => re.test(name));
          if (hit !== undefined) return `hostname ${name} (${n.source}) ~ ${hit.p}`;
        }
        return null;
      };
    }
    case 'external':
      return (identity) => (identity.internal ? null : 'external address');
    case 'internal':
      return (identity) => (identity.internal ? 'internal address' : null);
  }
}

function isCatchAll(selector: Selector): boolean {
  return selector.kind === 'internal' || selector.kind === 'external';
}

function rank(m: ComponentMatch): number {
  return m.identified ? (m.context ? 1 : 0) : 2;
}

/** Whether the server port can change what `identity` matches: it holds a hostNetwork pod, which servesPort() tells apart by port. */
function portSelective(identity: EndpointIdentity): boolean {
  const objects = identity.kubernetes;
  for (let i = 0; i < objects.length; i++) if (objects[i].hostNetwork) return true;
  return false;
}

/**
 * Whether a pod is the endpoint at its address. A hostNetwork pod shares its node's address with
 * the node and the node's other hostNetwork pods, so it is named only where the port says it is
 * the one: as a server on a port it declares. As a client (a source port tells nothing of which
 * process opened it), or on a port no pod declares, the address is the node's: never a guess.
 */
function servesPort(pod: KubernetesObjectIdentity, serverPort: number | undefined): boolean {
  if (!pod.hostNetwork) return true;
  return serverPort !== undefined && pod.ports !== undefined && pod.ports.some((p) => p.port === serverPort);
}

function describe(o: KubernetesObjectIdentity): string {
  return o.namespace === undefined ? o.name : `${o.namespace}/${o.name}`;
}
