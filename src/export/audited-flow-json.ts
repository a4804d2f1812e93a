import type { AuditedEndpoint, AuditedFlow } from '../audit/audited-flow.js';
import { tunnelIdName } from '../decode/tunnel-header.js';
import type { FlowTunnel } from '../flow/flow-record.js';
import { flowCommunityId } from './community-id.js';
import { isoTime } from './iso-time.js';

/**
 * The JSON record of one audited flow: the same in the full JSON report, in NDJSON, and in the
 * agent's violation log. Field names follow Zeek/ECS habits where one exists.
 */
export function auditedFlowJson(f: AuditedFlow): Record<string, unknown> {
  return {
    id: f.id,
    community_id: flowCommunityId(f),
    protocol: f.protocol,
    client: endpoint(f.client, f.verdict.clientRole),
    server: endpoint(f.server, f.verdict.serverRole),
    initiator_evidence: f.initiatorEvidence,
    first_seen: isoTime(f.firstSeen),
    last_seen: isoTime(f.lastSeen),
    packets_to_server: f.packetsToServer,
    bytes_to_server: f.bytesToServer,
    packets_to_client: f.packetsToClient,
    bytes_to_client: f.bytesToClient,
    tcp_state: f.tcpState,
    end_reason: f.endReason,
    verdict: f.verdict.kind,
    reason: f.verdict.reason,
    rule: f.verdict.ruleId ?? null,
    notice: f.verdict.notice,
    security: f.verdict.security.grade,
    security_detail: f.verdict.security.detail,
    upgraded: f.verdict.security.upgraded ?? null,
    // Left out (undefined) for the flows no tunnel touches.
    tunnel: f.tunnel === undefined ? undefined : tunnelJson(f.tunnel),
    encapsulates: f.encapsulates,
  };
}

function tunnelJson(t: FlowTunnel): Record<string, unknown> {
  return { type: t.type, ...(t.id === undefined ? {} : { [tunnelIdName(t.type)]: t.id }), outer_client: t.outerClient, outer_server: t.outerServer };
}

function endpoint(e: AuditedEndpoint, role: string): Record<string, unknown> {
  return {
    address: e.address,
    port: e.port,
    component: e.components.some((m) => m.component === role) ? role : null,
    components: e.components.map((m) => ({ name: m.component, via: m.via })),
  };
}
