import type { TlsVersion } from '../decode/tls-handshake.js';
import type { UpgradeName } from '../decode/tls-upgrade.js';

/**
 * The judgement of one flow against the matrix. Exactly one kind per flow, with the reason in
 * words and the rule that decided it.
 */
export type VerdictKind =
  /** A rule allows it and its security requirement is met (or none is required). */
  | 'allowed'
  /** A rule allows it, but the security it requires could not be proven from the capture. */
  | 'unverified'
  /** Plaintext where the rule requires TLS or mTLS. */
  | 'insecure'
  /** TLS below the rule's minimum version. */
  | 'weak-tls'
  /** The rule requires mTLS and the handshake shows no client certificate. */
  | 'mtls-missing'
  /** A rule exists for these components and port, but the other side must open it. */
  | 'wrong-initiator'
  /** Both endpoints are known components, but no rule allows this protocol and port between them. */
  | 'unexpected'
  /** An endpoint no component matches. */
  | 'unknown-peer'
  /** Outside the matrix's scope (`unmatched: ignore-outside-components`), or the agent's own metrics endpoint. */
  | 'ignored';

export const VERDICT_KINDS: readonly VerdictKind[] = [
  'allowed', 'unverified', 'insecure', 'weak-tls', 'mtls-missing', 'wrong-initiator', 'unexpected', 'unknown-peer', 'ignored',
];

/** Verdicts that make an audit non-compliant. `unverified` is reported, not failed, unless asked. */
export const VIOLATION_KINDS: ReadonlySet<VerdictKind> = new Set(['insecure', 'weak-tls', 'mtls-missing', 'wrong-initiator', 'unexpected', 'unknown-peer']);

/**
 * What the capture shows of a flow's protection: `plaintext` the first bytes are not TLS;
 * `tls` a TLS handshake, client certificates not established; `mtls-proven` a TLS <= 1.2
 * handshake with the server's CertificateRequest and a non-empty client Certificate; `mtls-absent`
 * a TLS <= 1.2 handshake without them; `mtls-unverifiable` TLS 1.3 (or a resumed session), whose
 * certificates are encrypted or absent from the wire; `unknown` no payload captured.
 */
export type SecurityGrade = 'plaintext' | 'tls' | 'mtls-proven' | 'mtls-absent' | 'mtls-unverifiable' | 'unknown';

/**
 * A negotiated protocol version: TLS 1.0-1.3, or SSL 3.0, which the decoder does not name (no rule
 * may require it, and it sits below every floor a matrix can set).
 */
export type ProtocolVersion = TlsVersion | 'ssl3.0';

/** Handshake metadata, never payload. */
export interface ObservedSecurity {
  readonly grade: SecurityGrade;
  /** What was seen, in words: "TLS 1.2, client certificate sent", "plaintext (http)", "no payload captured". */
  readonly detail: string;
  /** The negotiated version, when the ServerHello was seen. */
  readonly tlsVersion?: ProtocolVersion;
  /** The ClientHello's server_name (SNI). */
  readonly serverName?: string;
  /** The ClientHello's ALPN offer. */
  readonly alpn?: readonly string[];
  /** The protocol the ServerHello selected by ALPN (TLS <= 1.2 only: 1.3 encrypts it). */
  readonly alpnSelected?: string;
  /** The cipher suite the ServerHello selected, its IANA code. */
  readonly cipherSuite?: number;
  /** How a connection that began in plaintext reached its TLS handshake (STARTTLS, SSLRequest, CONNECT...). */
  readonly upgraded?: UpgradeName;
}

export interface Verdict {
  readonly kind: VerdictKind;
  readonly reason: string;
  /** The connection that decided it (allowed, unverified, insecure, wrong-initiator...). */
  readonly ruleId?: string;
  /** The rule allows the flow but asks for it to be reported (severity notice). */
  readonly notice: boolean;
  /**
   * The roles the verdict speaks of: the deciding rule's components (an endpoint may match several,
   * and the rule says which one it acted as), else the endpoint's most specific component, else
   * its address. Reports group and name flows by these.
   */
  readonly clientRole: string;
  readonly serverRole: string;
  readonly security: ObservedSecurity;
}
