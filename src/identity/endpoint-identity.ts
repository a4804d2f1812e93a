/**
 * Who an address is: everything the identity sources (inventories, Kubernetes, DNS answers, TLS
 * SNI) know about it. The audit matches components against this, so the sources sit behind one
 * interface and live ones (a Kubernetes watch, the DNS cache) replace offline ones unchanged.
 */

export type KubernetesResourceKind = 'pod' | 'service' | 'node';

export interface KubernetesObjectIdentity {
  readonly resource: KubernetesResourceKind;
  /** Absent for nodes. */
  readonly namespace?: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Pods: the node they run on. */
  readonly nodeName?: string;
  /** Pods: true for hostNetwork pods, which are found at their node's address. */
  readonly hostNetwork?: boolean;
  /** Pods: the container ports they declare (TCP and UDP), to tell apart pods sharing a node IP. */
  readonly ports?: readonly { readonly port: number; readonly protocol: 'tcp' | 'udp' }[];
  /** Services: the pods the Service's selector picks, so a ClusterIP counts as those pods. */
  readonly selectedPods?: readonly KubernetesObjectIdentity[];
}

export interface InventoryIdentity {
  /** The inventory file and line the entry came from, for reports. */
  readonly source: string;
  readonly name: string;
  /** Component names the inventory assigns directly. */
  readonly components: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A name the address is known by, and how we know it. */
export interface NameEvidence {
  readonly name: string;
  readonly source: 'dns' | 'sni' | 'inventory' | 'capture-file';
}

export interface EndpointIdentity {
  readonly address: string;
  /** True for private, loopback, link-local, unique-local and CGNAT addresses. */
  readonly internal: boolean;
  /**
   * Kubernetes objects at this address: the pod with this pod IP; the Service with this
   * ClusterIP (with its selected pods); the node with this address, and the hostNetwork pods on it.
   */
  readonly kubernetes: readonly KubernetesObjectIdentity[];
  readonly inventory: readonly InventoryIdentity[];
  readonly names: readonly NameEvidence[];
}

export interface IdentityProvider {
  /**
   * What is known of `address` (text form, as FlowRecord endpoints carry it) for a flow that
   * began at `at` (seconds, FlowRecord.firstSeen): addresses are handed out again, and a flow is
   * named by what held its address when it began. Without `at`, what holds it now.
   */
  identify(address: string, at?: number): EndpointIdentity;
}
