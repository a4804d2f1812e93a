/**
 * The resolved connection-matrix model: what `loadMatrix` returns once a rules file and everything
 * it includes have been parsed, validated and merged. Pure data, no matching logic: the matcher in
 * src/audit/ reads it, nothing here knows about flows. Every object is frozen by the loader.
 *
 * The YAML format these come from is documented in rules/README.md and rules/schema.json.
 */

export type Protocol = 'tcp' | 'udp';

/** What the connection must carry: cleartext allowed, server-authenticated TLS, or mutual TLS. */
export type Security = 'none' | 'tls' | 'mtls';

export type TlsVersion = '1.0' | '1.1' | '1.2' | '1.3';

/**
 * Who may open the connection: only the `from` side, or either side (peers such as Cassandra
 * gossip, where each node dials the others).
 */
export type Initiator = 'from' | 'both';

/** How a flow that matches the rule is reported: allowed silently, or allowed but listed. */
export type Severity = 'ok' | 'notice';

/**
 * What to do with a flow that matches no connection: always a violation, or ignored when none of
 * its endpoints belongs to any component of the matrix (traffic the matrix says nothing about).
 */
export type UnmatchedPolicy = 'violation' | 'ignore-outside-components';

/** Where a rule or component came from: the rules file (absolute path) and 1-based line. */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

/** Citation of the vendor document a rule transcribes. */
export interface SourceRef {
  readonly document: string;
  readonly url?: string;
  /** Section heading in the document, when there is no table row. */
  readonly section?: string;
  /** The table row, as written in the document. */
  readonly row?: string;
}

/** Inclusive port range; a single port has `from === to`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** A CIDR block, normalised (defined with its parser in the decode layer). */
export type { Cidr } from '../net/cidr.js';
import type { Cidr } from '../net/cidr.js';

/** Kubernetes objects a selector can name. Pods are matched by pod IP, services by ClusterIP, nodes by node address. */
export type KubernetesResource = 'pod' | 'service' | 'node';

/**
 * Kubernetes objects with all of `labels` (exact values; `{}` selects every object of the
 * resource), in `namespace` when given (nodes have none).
 */
export interface KubernetesSelector {
  readonly kind: 'kubernetes';
  readonly resource: KubernetesResource;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Pods whose name matches the glob (`*` any run of characters, `?` one), optionally in a namespace. */
export interface PodSelector {
  readonly kind: 'pod';
  readonly pattern: string;
  readonly namespace?: string;
}

/** Addresses inside any of the blocks. */
export interface CidrSelector {
  readonly kind: 'cidr';
  readonly cidrs: readonly Cidr[];
}

/**
 * Peers known by any of these names (DNS answers, TLS SNI). Patterns are lower-case with no
 * trailing dot; `*` matches any run of characters inside one DNS label, never a dot, so
 * `*.googleapis.com` matches `apigee.googleapis.com` but not `a.b.googleapis.com`.
 */
export interface HostnameSelector {
  readonly kind: 'hostname';
  readonly patterns: readonly string[];
}

/** Any address outside private, loopback, link-local and cluster ranges. */
export interface ExternalSelector {
  readonly kind: 'external';
}

/** Any address inside private, loopback, link-local or cluster ranges. */
export interface InternalSelector {
  readonly kind: 'internal';
}

export type Selector =
  | KubernetesSelector
  | PodSelector
  | CidrSelector
  | HostnameSelector
  | ExternalSelector
  | InternalSelector;

export type SelectorKind = Selector['kind'];

/** A named role in the matrix; an endpoint belongs to it when any selector matches. */
export interface Component {
  readonly name: string;
  readonly description?: string;
  /** Any-of. May be empty: membership then comes only from an inventory naming the component. */
  readonly selectors: readonly Selector[];
  /**
   * A context component describes the surroundings (every pod, the nodes, the internet). Under
   * `ignore-outside-components`, belonging only to context components does not bring a flow into
   * scope: such a flow is ignored unless one endpoint is in a non-context component.
   */
  readonly context: boolean;
  /**
   * Components whose identified members are not members of this one, whatever its selectors say
   * ("every pod but the vendor's own"). A catch-all match (`internal`, `external`) excludes nothing:
   * it says nothing of who an endpoint is.
   */
  readonly except: readonly string[];
  /** An including file may define this component anew, and its definition then replaces this one. */
  readonly replaceable: boolean;
  readonly origin: Origin;
}

/** One allowed edge of the matrix. */
export interface Connection {
  /** Unique across the resolved matrix. */
  readonly id: string;
  /** Component names; both exist in `Matrix.components`. */
  readonly from: string;
  readonly to: string;
  readonly protocol: Protocol;
  /** Destination ports on the `to` side, sorted, non-overlapping. */
  readonly ports: readonly PortRange[];
  readonly security: Security;
  /** Only when security is tls or mtls: the rule's own, else the matrix's `tlsFloor`. */
  readonly minTlsVersion?: TlsVersion;
  readonly initiator: Initiator;
  readonly severity: Severity;
  /** The edge may legitimately be absent: no silent-edge finding when no flow uses it. */
  readonly optional: boolean;
  readonly description?: string;
  readonly source?: SourceRef;
  readonly origin: Origin;
}

/**
 * The minimum TLS version of every tls and mtls rule that names none itself. The root file's
 * `defaults.minTlsVersion` when it has one, else the highest an included file sets.
 */
export interface TlsFloor {
  readonly version: TlsVersion;
  /** Why the floor is below TLS 1.2; required there. */
  readonly reason?: string;
  /** The file that set it, and the line of its `minTlsVersion`. */
  readonly origin: Origin;
}

export interface Matrix {
  /** Profile id (`metadata.name` of the root file). */
  readonly name: string;
  readonly title: string;
  readonly source?: SourceRef;
  /** Absolute paths of every file that contributed, root first, then includes depth-first. */
  readonly files: readonly string[];
  /** `metadata.name` of every included profile, transitively, in load order (root excluded). */
  readonly includes: readonly string[];
  readonly unmatched: UnmatchedPolicy;
  /** Absent when no file of the matrix sets one: rules then require no TLS version. */
  readonly tlsFloor?: TlsFloor;
  readonly components: ReadonlyMap<string, Component>;
  /** Included connections first (depth-first), then the root file's, each in file order. */
  readonly connections: readonly Connection[];
  /**
   * `sha256:` + hex over the canonical resolved content (components, connections, policy; not
   * file paths, lines or descriptions): equal matrices hash equal wherever they are installed.
   */
  readonly hash: string;
}
