import type { ComponentMatch } from './component-matcher.js';
import type { Connection, Matrix, Protocol } from './matrix.js';
import type { ObservedSecurity, Verdict, VerdictKind } from './verdict.js';

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

  constructor(private readonly matrix: Matrix) {
    const byProtocol = new Map<Protocol, Connection[]>([['tcp', []], ['udp', []]]);
    for (const c of matrix.connections) byProtocol.get(c.protocol)?.push(c);
    this.byProtocol = byProtocol;
  }

  judge(f: FlowFacts): Verdict {
    const security = f.security;
    const clientNames = new Set(f.client.map((m) => m.component));
    const serverNames = new Set(f.server.map((m) => m.component));
    const rules = this.byProtocol.get(f.protocol as Protocol) ?? [];

    // A rule that fits decides, whatever the unmatched policy: it applies to flows no rule matches.
    const fitting = rules.filter(
      (c) => portIn(c, f.serverPort) && ((clientNames.has(c.from) && serverNames.has(c.to)) || (c.initiator === 'both' && clientNames.has(c.to) && serverNames.has(c.from))),
    );
    if (fitting.length > 0) {
      let best: Verdict | null = null;
      for (const rule of fitting) {
        const v = judgeSecurity(rule, security);
        if (best === null || OUTCOME_RANK[v.kind]! < OUTCOME_RANK[best.kind]!) best = v;
      }
      return best!;
    }

    const inScope = f.client.some((m) => !m.context) || f.server.some((m) => !m.context);
    if (this.matrix.unmatched === 'ignore-outside-components' && !inScope) {
      return verdict('ignored', 'neither endpoint belongs to a component of this matrix', security);
    }
    if (f.client.length === 0 && f.server.length === 0) {
      return verdict('unknown-peer', `client ${f.clientAddress} and server ${f.serverAddress} match no component`, security);
    }
    if (f.client.length === 0) return verdict('unknown-peer', `client ${f.clientAddress} matches no component`, security);
    if (f.server.length === 0) return verdict('unknown-peer', `server ${f.serverAddress} matches no component`, security);
    if (!this.byProtocol.has(f.protocol as Protocol)) {
      return verdict('unexpected', `${name(f.client)} -> ${name(f.server)}: protocol ${f.protocol} is not in the matrix`, security);
    }
    const reversed = rules.find((c) => portIn(c, f.serverPort) && serverNames.has(c.from) && clientNames.has(c.to));
    if (reversed !== undefined) {
      return verdict('wrong-initiator', `rule ${reversed.id} allows ${reversed.from} -> ${reversed.to}, but ${name(f.client)} opened this connection`, security, reversed.id);
    }
    return verdict('unexpected', `no rule allows ${f.protocol}/${f.serverPort} from ${name(f.client)} to ${name(f.server)}`, security);
  }
}

function judgeSecurity(rule: Connection, security: ObservedSecurity): Verdict {
  // Severity notice lists the flows the rule allows; an insecure one is a violation, not a notice.
  const decided = (kind: VerdictKind, reason: string): Verdict => ({ kind, reason, ruleId: rule.id, notice: kind !== 'insecure' && rule.severity === 'notice', security });
  if (rule.security === 'none') return decided('allowed', `rule ${rule.id}`);
  const wanted = rule.security === 'mtls' ? 'mTLS' : 'TLS';
  switch (security.grade) {
    case 'plaintext':
      return decided('insecure', `rule ${rule.id} requires ${wanted}; the capture shows ${security.detail}`);
    case 'unknown':
      return decided('unverified', `rule ${rule.id} requires ${wanted}; ${security.detail}`);
    case 'tls':
      if (rule.security === 'mtls') return decided('unverified', `rule ${rule.id} requires mTLS; ${security.detail}, client certificate not established from the capture`);
      if (rule.minTlsVersion !== undefined) return decided('unverified', `rule ${rule.id} requires TLS ${rule.minTlsVersion}+; ${security.detail}, version not established from the capture`);
      return decided('allowed', `rule ${rule.id}; ${security.detail}`);
  }
}

function portIn(c: Connection, port: number): boolean {
  return c.ports.some((r) => port >= r.from && port <= r.to);
}

/** The most specific component of an endpoint, for reasons and grouping. */
export function name(matches: readonly ComponentMatch[]): string {
  return matches.length === 0 ? '(none)' : matches[0].component;
}

function verdict(kind: VerdictKind, reason: string, security: ObservedSecurity, ruleId?: string): Verdict {
  return ruleId === undefined ? { kind, reason, notice: false, security } : { kind, reason, ruleId, notice: false, security };
}
