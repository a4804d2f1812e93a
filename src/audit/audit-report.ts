import type { DnsNameCache } from '../identity/dns-name-cache.js';
import type { AuditedFlow, AuditSink } from './audited-flow.js';
import { Coverage } from './coverage.js';
import type { Matrix } from './matrix.js';
import { peerNetwork } from './peer-network.js';
import { VERDICT_KINDS, VIOLATION_KINDS, type VerdictKind } from './verdict.js';

const EXAMPLES_PER_GROUP = 5;
/** Distinct unknown addresses counted per group; past this a group says "at least". */
export const PEER_ADDRESSES_COUNTED = 1000;

/**
 * The order findings are reported in, most important first: traffic that breaks a rule's
 * security, then traffic against a rule's direction, then traffic no rule allows, then peers
 * nobody identified, then what could not be proven.
 */
export const FINDING_ORDER: readonly VerdictKind[] = ['insecure', 'mtls-missing', 'weak-tls', 'wrong-initiator', 'unexpected', 'unknown-peer', 'unverified'];

/**
 * Flows of one verdict between the same two roles on the same protocol and server port. A role is
 * a component; an end no component matches (unknown-peer) is its DNS name where the traffic gives
 * one (the SNI, else a DNS answer seen before the flow), else its /24 or /64 network.
 */
export interface ViolationGroup {
  readonly kind: VerdictKind;
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number;
  flows: number;
  bytes: number;
  /** Distinct addresses of the unknown ends, up to PEER_ADDRESSES_COUNTED (0: both ends are components). */
  readonly peerAddresses: Set<string>;
  readonly examples: AuditedFlow[];
}

/**
 * Accumulates a whole offline audit: verdict counts, coverage of every expected connection,
 * violations grouped with a few examples each, and (for the full JSON report) every flow.
 */
export class AuditReport implements AuditSink {
  readonly coverage: Coverage;
  readonly verdictCounts: Record<VerdictKind, number>;
  readonly flows: AuditedFlow[] = [];
  /** Flows a rule of severity notice allowed: reported though allowed (a backup port in use). */
  readonly notices: AuditedFlow[] = [];
  /** By kind, then client role, then server role, then protocol and port: no key built per flow. */
  private readonly groups = new Map<string, Map<string, Map<string, Map<string, Map<number, ViolationGroup>>>>>();

  /** @param dnsNames names learnt from the traffic's DNS answers, to name unknown servers by */
  constructor(readonly matrix: Matrix, private readonly keepFlows: boolean, private readonly dnsNames?: DnsNameCache) {
    this.coverage = new Coverage(matrix);
    this.verdictCounts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  }

  onAuditedFlow(flow: AuditedFlow): void {
    const kind = flow.verdict.kind;
    this.verdictCounts[kind]++;
    this.coverage.record(flow);
    if (this.keepFlows) this.flows.push(flow);
    if (flow.verdict.notice) this.notices.push(flow);
    if (!VIOLATION_KINDS.has(kind) && kind !== 'unverified') return;
    // The judge names an end no component matches by its address: such ends group by network or name.
    const clientUnknown = flow.verdict.clientRole === flow.client.address;
    const serverUnknown = flow.verdict.serverRole === flow.server.address;
    const from = clientUnknown ? peerNetwork(flow.client.address) : flow.verdict.clientRole;
    const to = serverUnknown ? (this.serverName(flow) ?? peerNetwork(flow.server.address)) : flow.verdict.serverRole;
    const byPort = child(child(child(this.groups, kind), from), to);
    const port = flow.server.port;
    let group = byPort.get(flow.protocol)?.get(port);
    if (group === undefined) {
      group = { kind, from, to, protocol: flow.protocol, port, flows: 0, bytes: 0, peerAddresses: new Set(), examples: [] };
      child(byPort, flow.protocol).set(port, group);
    }
    group.flows++;
    group.bytes += flow.toServer.bytes + flow.toClient.bytes;
    const peers = group.peerAddresses;
    if (clientUnknown && peers.size < PEER_ADDRESSES_COUNTED) peers.add(flow.client.address);
    if (serverUnknown && peers.size < PEER_ADDRESSES_COUNTED) peers.add(flow.server.address);
    if (group.examples.length < EXAMPLES_PER_GROUP) group.examples.push(flow);
  }

  /**
   * Violation groups (unverified ones included, flagged by kind), most important first: by
   * FINDING_ORDER, then by flows, then bytes, then by name (so a report reads the same every run).
   */
  violationGroups(): ViolationGroup[] {
    const all: ViolationGroup[] = [];
    for (const byFrom of this.groups.values()) for (const byTo of byFrom.values()) for (const byProtocol of byTo.values()) for (const byPort of byProtocol.values()) all.push(...byPort.values());
    // Plain code-unit order, not localeCompare: the first localeCompare of a process loads ICU
    // collation (13 ms, a tenth of analyze's start-up).
    return all.sort(
      (a, b) =>
        FINDING_ORDER.indexOf(a.kind) - FINDING_ORDER.indexOf(b.kind) ||
        b.flows - a.flows ||
        b.bytes - a.bytes ||
        textOrder(a.from, b.from) ||
        textOrder(a.to, b.to) ||
        textOrder(a.protocol, b.protocol) ||
        a.port - b.port,
    );
  }

  /** The name the traffic gives an unknown server: the SNI it was asked by, else a DNS answer seen before the flow. */
  private serverName(flow: AuditedFlow): string | undefined {
    return flow.verdict.security.serverName ?? this.dnsNames?.namesAt(flow.server.address, flow.firstSeen)[0]?.name;
  }

  get violations(): number {
    let n = 0;
    for (const kind of VIOLATION_KINDS) n += this.verdictCounts[kind];
    return n;
  }

  /** Compliant: no violating flow and no silent required connection (optionally no unverified one either). */
  compliant(failOnUnverified: boolean): boolean {
    return this.violations === 0 && this.coverage.silent().length === 0 && (!failOnUnverified || this.verdictCounts.unverified === 0);
  }
}

function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The map under `key`, made on first use. */
function child<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K): V {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map() as V;
    map.set(key, inner);
  }
  return inner;
}
