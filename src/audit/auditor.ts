import { ipProtocolName } from '../net/ip-protocol.js';
import type { FlowRecord, FlowSink } from '../flow/flow-record.js';
import { directionTotals } from '../flow/flow-facts.js';
import type { DnsNameCache } from '../identity/dns-name-cache.js';
import type { IdentityProvider, NameEvidence } from '../identity/endpoint-identity.js';
import type { AuditedFlow, AuditSink } from './audited-flow.js';
import { ComponentMatcher } from './component-matcher.js';
import { FlowJudge } from './flow-judge.js';
import type { Matrix } from './matrix.js';
import { observeSecurity } from './observe-security.js';
import type { OwnEndpoint } from './own-endpoint.js';
import { tunnelVerdict } from './tunnel-verdict.js';

const NO_NAMES: readonly NameEvidence[] = Object.freeze([]);

/**
 * The audit stage: a FlowSink that identifies both ends of each flow, matches them to components,
 * judges the flow, and hands the result on. Security is read from the flow's payload prefixes
 * here, while they are still valid (they are borrowed from the flow table).
 *
 * The code run per flow loops over arrays by index, not with for...of: a run's first few thousand
 * flows go through V8's interpreter before its optimising compiler takes over, and there an
 * iterator costs an object and a call per step (the first 3,000 flows of the bench capture took
 * 40-60 µs each, the rest 4-7 µs; bench/RESULTS.md).
 */
export class Auditor implements FlowSink {
  private matcher!: ComponentMatcher;
  private judge!: FlowJudge;
  private identities!: IdentityProvider;
  /** The agent's own metrics endpoint, whose flows are its own, not the matrix's. */
  private own?: OwnEndpoint;

  /**
   * @param dnsNames names learnt from DNS answers in the same traffic (the DnsAnswerTap feeds it
   *   as packets pass, ahead of the flows that use the answers)
   */
  constructor(matrix: Matrix, identities: IdentityProvider, protected readonly sinks: readonly AuditSink[], private readonly dnsNames?: DnsNameCache) {
    this.use(matrix, identities);
  }

  /** Judges from now on against this matrix and these identities (the agent's reload). */
  use(matrix: Matrix, identities: IdentityProvider): void {
    this.matcher = new ComponentMatcher(matrix);
    this.judge = new FlowJudge(matrix);
    this.identities = identities;
  }

  /** Judges flows to the agent's own endpoint as its own (`ignored`), not against the matrix. */
  ownEndpoint(own: OwnEndpoint): void {
    this.own = own;
  }

  onFlow(flow: FlowRecord): void {
    const audited = this.audit(flow);
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i].onAuditedFlow(audited);
  }

  protected audit(flow: FlowRecord): AuditedFlow {
    const protocol = ipProtocolName(flow.protocol);
    const security = observeSecurity(flow);
    const clientIdentity = this.identities.identify(flow.client.address, flow.firstSeen);
    const client = this.matcher.match(clientIdentity);
    const serverIdentity = this.identities.identify(flow.server.address, flow.firstSeen);
    // Learnt names go into every record (the evidence that named the server); matching uses them
    // only for a matrix that matches by hostname.
    const learnt = this.learntNames(flow, security.serverName);
    const server = this.matcher.match(serverIdentity, flow.server.port, this.matcher.matchesNames ? learnt : undefined);
    const judged = this.judge.judge({
      protocol,
      clientAddress: flow.client.address,
      serverAddress: flow.server.address,
      serverPort: flow.server.port,
      client,
      server,
      security,
    });
    // Verdicts the matrix does not decide: an overlay's outer flow, and the agent's own scrapes.
    const untunnelled = flow.encapsulates === undefined ? judged : tunnelVerdict(judged, flow.encapsulates);
    const verdict = this.own !== undefined && this.own.owns(flow) ? this.own.verdict(flow, untunnelled) : untunnelled;
    // Built field by field, no spreads: V8 then makes every AuditedFlow with one hidden class and
    // no property copying (the spread version cost about 2 µs a flow, bench/RESULTS.md).
    return {
      id: flow.id,
      protocol,
      ipVersion: flow.ipVersion,
      client: { address: flow.client.address, port: flow.client.port, components: client, names: clientIdentity.names },
      server: { address: flow.server.address, port: flow.server.port, components: server, names: learnt.length === 0 ? serverIdentity.names : serverIdentity.names.concat(learnt) },
      initiatorEvidence: flow.initiatorEvidence,
      firstSeen: flow.firstSeen,
      lastSeen: flow.lastSeen,
      toServer: directionTotals(flow.toServer),
      toClient: directionTotals(flow.toClient),
      tcpState: flow.tcpState,
      endReason: flow.endReason,
      continued: flow.continued,
      laterFragments: flow.laterFragments,
      icmp: flow.icmp,
      tunnel: flow.tunnel,
      encapsulates: flow.encapsulates,
      verdict,
      // Set by the LiveAuditor on a final record, in place: a spread copy cost about 1 µs a flow.
      // A boolean from the start: a field first undefined, then true, deoptimised this function
      // for good (bench/RESULTS.md, session 10).
      verdictReported: false,
    };
  }

  /**
   * The names this flow gives its server: DNS answers for its address seen before the flow began
   * (and still valid then), and the SNI the client asked for.
   */
  private learntNames(flow: FlowRecord, serverName: string | undefined): readonly NameEvidence[] {
    const dns = this.dnsNames?.namesAt(flow.server.address, flow.firstSeen);
    if (serverName === undefined) return dns ?? NO_NAMES;
    const learnt = dns ?? [];
    learnt.push({ name: serverName, source: 'sni' });
    return learnt;
  }
}
