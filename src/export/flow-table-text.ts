import { ipProtocolName } from '../net/ip-protocol.js';
import type { FlowRecord } from '../flow/flow-record.js';
import type { FlowListFormat, FlowListing } from './flow-list-format.js';
import { isoTime } from './iso-time.js';

/** `flows` by default: the table. */
export const flowTableFormat: FlowListFormat = {
  name: 'table',
  streams: false,
  open: () => new FlowTableText(),
};

const HEADERS = ['proto', 'client', '->', 'server', 'pkts>', 'bytes>', '<pkts', '<bytes', 'start', 'duration', 'initiator', 'state', 'end'];

/**
 * A fixed-width text table, one flow a line, in the spirit of `tshark -z conv`, sorted by start.
 * Flows are turned into their cells as they come, so only the text is kept, not the records.
 */
export class FlowTableText implements FlowListing {
  private readonly rows: { readonly start: number; readonly id: number; readonly cells: readonly string[] }[] = [];
  private readonly widths = HEADERS.map((h) => h.length);

  onFlow(f: FlowRecord): void {
    const cells = [
      ipProtocolName(f.protocol),
      endpointText(f.client.address, f.client.port),
      '->',
      endpointText(f.server.address, f.server.port),
      String(f.toServer.packets),
      String(f.toServer.bytes),
      String(f.toClient.packets),
      String(f.toClient.bytes),
      isoTime(f.firstSeen),
      (f.lastSeen - f.firstSeen).toFixed(6),
      f.initiatorEvidence,
      f.tcpState,
      f.endReason,
    ];
    for (let i = 0; i < cells.length; i++) if (cells[i].length > this.widths[i]) this.widths[i] = cells[i].length;
    this.rows.push({ start: f.firstSeen, id: f.id, cells });
  }

  finish(): string {
    this.rows.sort((a, b) => a.start - b.start || a.id - b.id);
    const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(this.widths[i])).join('  ').trimEnd();
    return [line(HEADERS), ...this.rows.map((r) => line(r.cells))].join('\n') + '\n';
  }
}

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
