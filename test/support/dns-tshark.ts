import { tsharkFields } from './tls-dns-tools.js';

/** What tshark's DNS dissector shows of one response. */
export interface TsharkDnsResponse {
  readonly id: number;
  readonly name: string;
  readonly rcode: number;
  readonly tc: boolean;
  readonly a: string[];
  readonly aaaa: string[];
  readonly cname: string[];
  readonly ttls: number[];
  readonly answerCount: number;
}

const list = (field: string): string[] => (field === '' ? [] : field.split(','));

/** Every DNS response in a capture (UDP and TCP on `port`), in capture order. */
export function tsharkDnsResponses(path: string, port: number): TsharkDnsResponse[] {
  const rows = tsharkFields(
    path,
    ['dns.id', 'dns.qry.name', 'dns.flags.rcode', 'dns.flags.truncated', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.resp.ttl', 'dns.count.answers'],
    ['-d', `udp.port==${port},dns`, '-d', `tcp.port==${port},dns`, '-Y', 'dns.flags.response == 1'],
  );
  // A TCP segment with two messages gives one row with each field's values of both, in order.
  const out: TsharkDnsResponse[] = [];
  for (const [ids, names, rcodes, tcs, a, aaaa, cname, ttls, counts] of rows) {
    const idList = list(ids);
    if (idList.length !== 1) throw new Error(`several DNS messages in one packet (${ids}): compare them by hand`);
    out.push({
      id: Number(idList[0]),
      name: names,
      rcode: Number(rcodes),
      tc: tcs === '1' || tcs === 'True',
      a: list(a),
      aaaa: list(aaaa),
      cname: list(cname),
      ttls: list(ttls).map(Number),
      answerCount: Number(counts),
    });
  }
  return out;
}
