import { ipProtocolName } from '../decode/ip-protocol.js';
import type { FlowRecord } from '../flow/flow-record.js';

const HEADERS = ['proto', 'client', '->', 'server', 'pkts>', 'bytes>', '<pkts', '<bytes', 'start', 'duration', 'initiator', 'state', 'end'];

/** A fixed-width text table, one flow a line, in the spirit of `tshark -z conv`. */
export function formatFlowTable(flows: readonly FlowRecord[]): string {
  const rows = flows.map((f) => [
    ipProtocolName(f.protocol),
    endpointText(f.client.address, f.client.port),
    '->',
    endpointText(f.server.address, f.server.port),
    String(f.toServer.packets),
    String(f.toServer.bytes),
    String(f.toClient.packets),
    String(f.toClient.bytes),
    new Date(f.firstSeen * 1000).toISOString(),
    (f.lastSeen - f.firstSeen).toFixed(6),
    f.initiatorEvidence,
    f.tcpState,
    f.endReason,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(HEADERS), ...rows.map(line)].join('\n') + '\n';
}

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
