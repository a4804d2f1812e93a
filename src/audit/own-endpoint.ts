import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { formatAddress, parseAddress } from '../net/ip-address.js';
import type { FlowEndpoint, FlowRecord } from '../flow/flow-record.js';
import type { Verdict } from './verdict.js';

const TCP = 6;

/**
 * The agent's own listening socket, its metrics endpoint. A capture on the node sees Prometheus
 * scrape it, and no vendor matrix names flowaudit: judged as any flow, every scrape was an
 * `unknown-peer` violation. Flows to (or from) this address and port are the agent's own and
 * judged `ignored`, with the reason saying so; they still count in flowaudit_flows_total.
 */
export class OwnEndpoint {
  private constructor(
    readonly port: number,
    private readonly addresses: ReadonlySet<string>,
    /** `127.0.0.1:9847`, or `*:9847` when bound to every address. */
    readonly description: string,
  ) {}

  /**
   * The endpoint bound to `host` (as Node reports it) and `port`. A wildcard (`0.0.0.0`, `::`)
   * stands for the addresses of the host's interfaces when this is called (IPv4 ones only for
   * `0.0.0.0`; `::` also takes IPv4 connections).
   */
  static bound(host: string, port: number, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): OwnEndpoint {
    const wildcard = host === '0.0.0.0' || host === '::';
    const texts = wildcard
      ? Object.values(interfaces).flatMap((infos) => (infos ?? []).filter((i) => host === '::' || i.family === 'IPv4').map((i) => i.address))
      : [host];
    const addresses = new Set<string>();
    for (const text of texts) {
      const words = parseAddress(text);
      if (words !== null) addresses.add(formatAddress(words));
    }
    return new OwnEndpoint(port, addresses, `${wildcard ? '*' : host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  /**
   * Whether either end of the flow is this endpoint: its server, or its client when the capture
   * missed the SYN and the port heuristic took the other end for the server.
   */
  owns(flow: FlowRecord): boolean {
    return flow.protocol === TCP && (this.is(flow.server) || this.is(flow.client));
  }

  /** The verdict of a flow it owns, in place of `matrixVerdict`; the agent's end is named `flowaudit`. */
  verdict(flow: FlowRecord, matrixVerdict: Verdict): Verdict {
    const server = this.is(flow.server);
    return {
      kind: 'ignored',
      reason: `the agent's own metrics endpoint (${this.description})`,
      notice: false,
      security: matrixVerdict.security,
      clientRole: server ? matrixVerdict.clientRole : 'flowaudit',
      serverRole: server ? 'flowaudit' : matrixVerdict.serverRole,
    };
  }

  /** The port is compared first: most flows stop there. */
  private is(end: FlowEndpoint): boolean {
    return end.port === this.port && this.addresses.has(end.address);
  }
}
