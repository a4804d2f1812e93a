import { describe, expect, it } from 'vitest';
import { IpProtocol } from '../../src/net/ip-protocol.js';
import { DnsAnswerTap } from '../../src/identity/dns-answer-tap.js';
import { DnsNameCache } from '../../src/identity/dns-name-cache.js';
import { header, question, rr, tcpFramed, wireName } from '../support/dns-messages.js';

/** A response: alias.example CNAME api.example, api.example A 198.51.100.7 (TTL 30). */
function response(): Buffer {
  return Buffer.concat([
    header({ id: 7, flags: 0x8180, qd: 1, an: 2 }),
    question(wireName('Alias.Example')),
    rr(wireName('alias.example'), 5, 300, wireName('api.example')),
    rr(wireName('api.example'), 1, 30, Buffer.from([198, 51, 100, 7])),
  ]);
}

describe('DnsAnswerTap', () => {
  it('learns every name on the CNAME chain for the answered address, at the packet time', () => {
    const cache = new DnsNameCache({ graceSeconds: 0 });
    const tap = new DnsAnswerTap(cache);
    const udp = response();
    tap.onPayload(IpProtocol.Udp, udp, 0, udp.length, false, 1000);
    expect(cache.namesAt('198.51.100.7', 1000).map((n) => n.name)).toEqual(['alias.example', 'api.example']);
    // The chain's least TTL (30 s) bounds both names.
    expect(cache.namesAt('198.51.100.7', 1031)).toEqual([]);
    expect(tap.stats).toEqual({ responses: 1, mappings: 2, failures: 0 });
  });

  it('reads length-prefixed messages from a TCP segment', () => {
    const cache = new DnsNameCache();
    const tap = new DnsAnswerTap(cache);
    const tcp = tcpFramed(response());
    tap.onPayload(IpProtocol.Tcp, tcp, 0, tcp.length, false, 5);
    expect(cache.namesAt('198.51.100.7', 5)).toHaveLength(2);
  });

  it('ignores queries and counts what is not DNS, keeping the last reason', () => {
    const tap = new DnsAnswerTap(new DnsNameCache());
    const query = Buffer.concat([header({ id: 9, flags: 0x0100, qd: 1 }), question(wireName('api.example'))]);
    tap.onPayload(IpProtocol.Udp, query, 0, query.length, false, 1);
    tap.onPayload(IpProtocol.Udp, Buffer.from('junk'), 0, 4, false, 1);
    expect(tap.stats.responses).toBe(0);
    expect(tap.stats.failures).toBe(1);
    expect(tap.stats.lastFailure).toMatch(/4 bytes, shorter than a DNS header/);
  });
});
