import { InvalidArgumentError, type Command } from 'commander';
import { positiveInteger, positiveNumber } from './option-parsers.js';
import type { FlowTableOptions } from '../flow/flow-table.js';
import { DEFAULT_TUNNEL_PORTS, type TunnelPorts } from '../decode/tunnel-ports.js';
import { DEFAULT_FLOW_TABLE_OPTIONS } from '../flow/flow-table.js';

/**
 * Payload bytes the audit keeps of a stream that does not open like TLS: enough to name the
 * plaintext in a report (the longest signature src/decode/payload-kind.ts compares, "PRI * HTTP/2",
 * is 12 bytes), so the prefix budget goes to TLS handshakes.
 */
export const PLAIN_PREFIX_BYTES = 16;

export interface FlowTableCliOptions {
  maxFlows: number;
  tcpIdleTimeout: number;
  udpIdleTimeout: number;
  activeTimeout: number;
  payloadLimit: number;
  /** Given tunnel ports replace that tunnel's defaults; undefined keeps them. */
  vxlanPort?: number[];
  genevePort?: number[];
  gtpPort?: number[];
}

/**
 * The flow-table tunables every command that builds flows shares. `payloadLimit` is the command's
 * default: `analyze` needs payload prefixes for TLS evidence, `flows` only shows how many were kept.
 */
export function addFlowTableOptions(command: Command, payloadLimitDefault = DEFAULT_FLOW_TABLE_OPTIONS.payloadLimit): Command {
  const d = DEFAULT_FLOW_TABLE_OPTIONS;
  return command
    .option('--max-flows <n>', 'bound on live flows; the least recently active is evicted beyond it', positiveInteger, d.maxFlows)
    .option('--tcp-idle-timeout <seconds>', 'idle timeout of open TCP connections', positiveNumber, d.tcpIdleTimeout)
    .option('--udp-idle-timeout <seconds>', 'idle timeout of UDP and other flows', positiveNumber, d.udpIdleTimeout)
    .option('--active-timeout <seconds>', 'report long flows in records of at most this length', positiveNumber, d.activeTimeout)
    .option('--payload-limit <bytes>', 'payload bytes kept per direction for TLS/DNS parsing (0 to 4096)', payloadLimit, payloadLimitDefault)
    .option('--vxlan-port <port>', `UDP port decapsulated as VXLAN (repeatable; default ${DEFAULT_TUNNEL_PORTS.vxlan.join(', ')})`, collectPort)
    .option('--geneve-port <port>', `UDP port decapsulated as Geneve (repeatable; default ${DEFAULT_TUNNEL_PORTS.geneve.join(', ')})`, collectPort)
    .option('--gtp-port <port>', `UDP port decapsulated as GTP-U (repeatable; default ${DEFAULT_TUNNEL_PORTS.gtpU.join(', ')})`, collectPort);
}

/** The UDP ports each tunnel is recognised on: the ones given, else the defaults. */
export function tunnelPorts(o: FlowTableCliOptions): TunnelPorts {
  const d = DEFAULT_TUNNEL_PORTS;
  return { vxlan: o.vxlanPort ?? d.vxlan, geneve: o.genevePort ?? d.geneve, gtpU: o.gtpPort ?? d.gtpU };
}

/** Repeatable port: the first occurrence replaces the default list, later ones add to it. */
function collectPort(value: string, previous: number[] | undefined): number[] {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a port from 1 to 65535');
  return [...(previous ?? []), n];
}

export function flowTableOptions(o: FlowTableCliOptions): Partial<FlowTableOptions> {
  return {
    maxFlows: o.maxFlows,
    tcpIdleTimeout: o.tcpIdleTimeout,
    udpIdleTimeout: o.udpIdleTimeout,
    activeTimeout: o.activeTimeout,
    payloadLimit: o.payloadLimit,
  };
}

function payloadLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 4096) throw new InvalidArgumentError('expected a whole number from 0 to 4096');
  return n;
}
