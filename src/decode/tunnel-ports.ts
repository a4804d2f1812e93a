import { TunnelType } from './tunnel-header.js';

/** The UDP destination ports whose datagrams are opened as tunnels. */
export interface TunnelPorts {
  readonly vxlan: readonly number[];
  readonly geneve: readonly number[];
  readonly gtpU: readonly number[];
}

/** IANA's VXLAN port, Linux's (and flannel's) older VXLAN default, Geneve's and GTP-U's. */
export const DEFAULT_TUNNEL_PORTS: TunnelPorts = { vxlan: [4789, 8472], geneve: [6081], gtpU: [2152] };

/**
 * The tunnel type of each UDP port (TunnelType.None for most), built once per decoder so a UDP
 * packet costs one array read. A port named for two tunnels keeps the last one.
 */
export function tunnelPortTable(ports: TunnelPorts): Uint8Array {
  const table = new Uint8Array(65536);
  for (const port of ports.vxlan) table[port] = TunnelType.Vxlan;
  for (const port of ports.geneve) table[port] = TunnelType.Geneve;
  for (const port of ports.gtpU) table[port] = TunnelType.GtpU;
  return table;
}
