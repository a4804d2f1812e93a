import { IpProtocol } from '../net/ip-protocol.js';
import { parseDnsMessage, parseDnsTcpMessages, type DnsParse } from '../decode/dns-message.js';
import type { PayloadTap } from '../flow/payload-tap.js';
import type { DnsNameCache } from './dns-name-cache.js';

const DNS_PORT = 53;

/** What the DNS tap saw, for the run summary and metrics: nothing undecodable goes uncounted. */
export interface DnsTapStats {
  responses: number;
  /** Address-to-name mappings learnt (one per address and name). */
  mappings: number;
  /** Payloads from port 53 that did not parse as DNS. */
  failures: number;
  /** Why the latest of them did not, for the summary. */
  lastFailure?: string;
}

/**
 * Learns names from DNS answers as packets pass (UDP, and TCP segments holding whole
 * length-prefixed messages), into a DnsNameCache that names flows' peers. Every name on an
 * answer's CNAME chain names the final address: a rule may list the alias or the canonical name.
 */
export class DnsAnswerTap implements PayloadTap {
  readonly sourcePort = DNS_PORT;
  readonly stats: DnsTapStats = { responses: 0, mappings: 0, failures: 0 };

  constructor(private readonly cache: DnsNameCache) {}

  onPayload(protocol: number, data: Buffer, offset: number, length: number, truncated: boolean, timestampSeconds: number): void {
    const bytes = data.subarray(offset, offset + length);
    const stop = truncated ? 'snaplen' : 'end';
    if (protocol === IpProtocol.Udp) this.learn(parseDnsMessage(bytes, stop), timestampSeconds);
    else if (protocol === IpProtocol.Tcp) for (const m of parseDnsTcpMessages(bytes, stop)) this.learn(m, timestampSeconds);
  }

  private learn(parsed: DnsParse, at: number): void {
    if (parsed.kind === 'dns-error') {
      this.stats.failures++;
      this.stats.lastFailure = parsed.reason;
      return;
    }
    if (!parsed.response) return;
    this.stats.responses++;
    for (const { address, names, ttl } of parsed.addresses) {
      for (const name of names) {
        this.cache.learn(address, name, ttl, at);
        this.stats.mappings++;
      }
    }
  }
}
