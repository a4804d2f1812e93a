import type { AuditedEndpoint, AuditedFlow } from '../audit/audited-flow.js';
import type { ObservedSecurity, SecurityGrade } from '../audit/verdict.js';
import { flowFactsJson } from './flow-record-json.js';

/**
 * The record of one audited flow, one line of JSON: the flow's own record (the same as `flows`
 * writes) with what the audit found added: each end's components and the names it had, the
 * verdict, and the TLS evidence as fields. The same in the full JSON report, in NDJSON, and in
 * the agent's violation log; published as schemas/audited-flow.schema.json.
 */
export function auditedFlowJson(f: AuditedFlow): string {
  const v = f.verdict;
  return flowFactsJson(f, f.protocol, f.toServer.payloadKept, f.toClient.payloadKept, {
    client: endpoint(f.client, v.clientRole),
    server: endpoint(f.server, v.serverRole),
    audit:
      `,"verdict":"${v.kind}","reason":${JSON.stringify(v.reason)},"rule":${JSON.stringify(v.ruleId ?? null)},"notice":${v.notice},` +
      `"security":"${v.security.grade}","security_detail":${JSON.stringify(v.security.detail)},"tls":${tls(v.security)}`,
  });
}

function endpoint(e: AuditedEndpoint, role: string): string {
  const component = e.components.some((m) => m.component === role) ? role : null;
  const components = e.components.map((m) => ({ name: m.component, via: m.via }));
  return `,"component":${JSON.stringify(component)},"components":${JSON.stringify(components)},"names":${JSON.stringify(e.names)}`;
}

/** What the client-certificate evidence of a TLS grade was (src/decode/tls-handshake.ts's MtlsEvidence). */
const CLIENT_CERTIFICATE: Partial<Record<SecurityGrade, string>> = {
  'mtls-proven': 'proven',
  'mtls-absent': 'absent',
  'mtls-unverifiable': 'unverifiable',
  tls: 'unknown',
};

/** The handshake's evidence, or null when the flow showed no TLS hello. */
function tls(s: ObservedSecurity): string {
  const clientCertificate = CLIENT_CERTIFICATE[s.grade];
  if (clientCertificate === undefined) return 'null';
  return JSON.stringify({
    version: s.tlsVersion ?? null,
    sni: s.serverName ?? null,
    alpn_offered: s.alpn ?? [],
    alpn: s.alpnSelected ?? null,
    cipher_suite: s.cipherSuite === undefined ? null : `0x${s.cipherSuite.toString(16).padStart(4, '0')}`,
    client_certificate: clientCertificate,
    upgraded: s.upgraded ?? null,
  });
}
