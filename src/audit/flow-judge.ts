import type { ComponentMatch } from './component-matcher.js';
import type { Connection, Matrix, Protocol, TlsVersion } from './matrix.js';
import type { ObservedSecurity, ProtocolVersion, Verdict, VerdictKind } from './verdict.js';

/** The facts of a flow the judgement needs, with components already matched. */
export interface FlowFacts {
  /** 'tcp', 'udp', or another protocol's name. */
  readonly protocol: string;
  readonly clientAddress: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly client: readonly ComponentMatch[];
  readonly server: readonly ComponentMatch[];
  readonly security: ObservedSecurity;
}

/** Better outcomes first: when several rules fit, the flow gets the best. */
const OUTCOME_RANK: Partial<Record<VerdictKind, number>> = { allowed: 0, unverified: 1, 'weak-tls': 2, 'mtls-missing': 3, insecure: 4 };

/**
 * Judges one flow against the matrix: which rule allows it (in this direction, on this protocol
 * and server port), whether its observed security meets the rule, and if no rule allows it, why.
 */
export class FlowJudge {
  private readonly byProtocol: ReadonlyMap<Protocol, readonly Connection[]>;
  /**
   * Verdicts for the shared (frozen) security grades, per grade, rule and direction: a verdict
   * depends on nothing else, so flows with such a grade share one instead of building reasons anew.
   */
  private readonly sharedVerdicts = new Map<ObservedSecurity, Map<Connection, Verdict>[]>();

  constructor(private readonly matrix: Matrix) {
    const byProtocol = new Map<Protocol, Connection[]>([['tcp', []], ['udp', []]]);
    for (const c of matrix.connections) byProtocol.get(c.protocol)?.push(c);
    this.byProtocol = byProtocol;
  }

  judge(f: FlowFacts): Verdict {
    const security = f.security;
    const rules = this.byProtocol.get(f.protocol as Protocol) ?? [];

    // A rule that fits decides, whatever the unmatched policy: it applies to flows no rule matches.
    let best: Verdict | null = null;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!portIn(rule, f.serverPort)) continue;
      const forward = has(f.client, rule.from) && has(f.server, rule.to);
      if (!forward && !(rule.initiator === 'both' && has(f.client, rule.to) && has(f.server, rule.from))) continue;
      const v = this.judgeSecurity(rule, security, forward);
      if (best === null || OUTCOME_RANK[v.kind]! < OUTCOME_RANK[best.kind]!) best = v;
    }
    if (best !== null) return best;

    const client = name(f.client, f.clientAddress);
    const server = name(f.server, f.serverAddress);
    const unmatched = (kind: VerdictKind, reason: string, ruleId?: string, roles: [string, string] = [client, server]): Verdict => ({
      kind,
      reason,
      ...(ruleId === undefined ? {} : { ruleId }),
      notice: false,
      security,
      clientRole: roles[0],
      serverRole: roles[1],
    });
    const inScope = f.client.some((m) => !m.context) || f.server.some((m) => !m.context);
    if (this.matrix.unmatched === 'ignore-outside-components' && !inScope) {
      return unmatched('ignored', 'Neither endpoint belongs to a component of this matrix');
    }
    // A rule the other way round says more than that an end is unknown, even through a catch-all.
    const reversed = rules.find((c) => portIn(c, f.serverPort) && has(f.server, c.from) && has(f.client, c.to));
    if (reversed !== undefined) {
      return unmatched('wrong-initiator', `Rule ${reversed.id} allows ${reversed.from} -> ${reversed.to}, but ${reversed.to} opened this connection`, reversed.id, [reversed.to, reversed.from]);
    }
    // Only a catch-all (any internal or external address) says nothing of who an endpoint is.
    const clientUnknown = !f.client.some((m) => m.identified);
    const serverUnknown = !f.server.some((m) => m.identified);
    if (clientUnknown || serverUnknown) {
      const who = clientUnknown && serverUnknown ? `Client ${f.clientAddress} and server ${f.serverAddress} match` : clientUnknown ? `Client ${f.clientAddress} matches` : `Server ${f.serverAddress} matches`;
      return unmatched('unknown-peer', `${who} no component`, undefined, [
        clientUnknown ? f.clientAddress : client,
        serverUnknown ? f.serverAddress : server,
      ]);
    }
    if (!this.byProtocol.has(f.protocol as Protocol)) {
      return unmatched('unexpected', `No rule allows ${f.protocol} from ${client} to ${server}: the matrix has rules for tcp and udp only`);
    }
    return unmatched('unexpected', `No rule allows ${f.protocol}/${f.serverPort} from ${client} to ${server}`);
  }

  private judgeSecurity(rule: Connection, security: ObservedSecurity, forward: boolean): Verdict {
    const clientRole = forward ? rule.from : rule.to;
    const serverRole = forward ? rule.to : rule.from;
    if (!Object.isFrozen(security)) return judgeSecurityAnew(rule, security, clientRole, serverRole);
    let byDirection = this.sharedVerdicts.get(security);
    if (byDirection === undefined) {
      byDirection = [new Map(), new Map()];
      this.sharedVerdicts.set(security, byDirection);
    }
    const byRule = byDirection[forward ? 0 : 1];
    let verdict = byRule.get(rule);
    if (verdict === undefined) {
      verdict = judgeSecurityAnew(rule, security, clientRole, serverRole);
      byRule.set(rule, verdict);
    }
    return verdict;
  }
}

function judgeSecurityAnew(rule: Connection, security: ObservedSecurity, clientRole: string, serverRole: string): Verdict {
  // Severity notice lists the flows the rule allows; a violating one is a violation, not a notice.
  const decided = (kind: VerdictKind, reason: string): Verdict => ({
    kind,
    reason,
    ruleId: rule.id,
    notice: (kind === 'allowed' || kind === 'unverified') && rule.severity === 'notice',
    security,
    clientRole,
    serverRole,
  });
  // Reasons are sentences naming the rule and the roles: "Rule a-to-b requires TLS for a -> b, but the capture shows plaintext (http)".
  const edge = `${clientRole} -> ${serverRole}`;
  if (rule.security === 'none') return decided('allowed', `Rule ${rule.id} allows ${edge} and requires no security`);
  const min = rule.minTlsVersion;
  const wanted = rule.security === 'mtls' ? (min === undefined ? 'mTLS' : `mTLS over TLS ${min} or later`) : min === undefined ? 'TLS' : `TLS ${min} or later`;
  const seen = security.detail;
  const allowed = (): Verdict => decided('allowed', `Rule ${rule.id} allows ${edge} over ${wanted}; the capture shows ${seen}`);
  const unproven = (): Verdict => decided('unverified', `Rule ${rule.id} requires ${wanted} for ${edge}, which the capture cannot prove: ${seen}`);
  const violated = (kind: VerdictKind): Verdict => decided(kind, `Rule ${rule.id} requires ${wanted} for ${edge}, but the capture shows ${seen}`);
  if (security.grade === 'plaintext') return violated('insecure');
  if (security.grade === 'unknown') return unproven();
  if (min !== undefined) {
    if (security.tlsVersion === undefined) return unproven();
    if (below(security.tlsVersion, min)) return violated('weak-tls');
  }
  if (rule.security === 'tls') return allowed();
  switch (security.grade) {
    case 'mtls-proven':
      return allowed();
    case 'mtls-absent':
      return violated('mtls-missing');
    default:
      return unproven();
  }
}

/** SSL 3.0 is below every floor; TLS version names compare in order as text: '1.0' < '1.1' < '1.2' < '1.3'. */
function below(version: ProtocolVersion, floor: TlsVersion): boolean {
  return version === 'ssl3.0' || version < floor;
}

/** An endpoint matches a handful of components at most: a scan beats building a set per flow. */
function has(matches: readonly ComponentMatch[], component: string): boolean {
  for (let i = 0; i < matches.length; i++) if (matches[i].component === component) return true;
  return false;
}

function portIn(c: Connection, port: number): boolean {
  const ports = c.ports;
  for (let i = 0; i < ports.length; i++) if (port >= ports[i].from && port <= ports[i].to) return true;
  return false;
}

/** The most specific component of an endpoint (matches come sorted so), else its address. */
function name(matches: readonly ComponentMatch[], address: string): string {
  return matches.length === 0 ? address : matches[0].component;
}
