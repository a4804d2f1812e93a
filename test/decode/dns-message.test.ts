/**
 * Hand-made DNS messages for what real servers rarely send: compression loops and other damaged
 * names, bad record data, CNAME chains out of order or off the question, TCP framing edge cases,
 * and the real responses of the committed capture cut at every offset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDnsMessage, parseDnsTcpMessages } from '../../src/decode/dns-message.js';
import { readName } from '../../src/decode/dns-name.js';
import { dnsOf, header, pointer, question, rr, tcpFramed, wireName } from '../support/dns-messages.js';
import { parseCaptureFlows } from '../support/tls-flows.js';

const CAPTURE = new URL('../fixtures/dns/dns-answers.pcap', import.meta.url).pathname;
const ip4 = (text: string): Buffer => Buffer.from(text.split('.').map(Number));
const QNAME_AT = 12;

describe('names', () => {
  it('reads plain, compressed and root names', () => {
    const msg = Buffer.concat([header({}), wireName('www.example.test'), Buffer.from([3, 0x63, 0x64, 0x6e]), pointer(QNAME_AT + 4), Buffer.of(0)]);
    expect(readName(msg, QNAME_AT, msg.length)).toEqual({ ok: true, name: 'www.example.test', next: QNAME_AT + 18 });
    expect(readName(msg, QNAME_AT + 18, msg.length)).toEqual({ ok: true, name: 'cdn.example.test', next: QNAME_AT + 24 });
    expect(readName(msg, msg.length - 1, msg.length)).toEqual({ ok: true, name: '.', next: msg.length });
  });

  it('escapes dots, backslashes, spaces and control bytes inside labels', () => {
    const msg = Buffer.concat([Buffer.from([5, 0x61, 0x2e, 0x5c, 0x20, 0x00, 1, 0xff]), Buffer.of(0)]);
    expect(readName(msg, 0, msg.length)).toEqual({ ok: true, name: 'a\\.\\\\\\032\\000.\\255', next: msg.length });
  });

  it('stops on a pointer to itself, pointers to each other, and a pointer chain, without looping', () => {
    const self = Buffer.concat([header({}), pointer(QNAME_AT)]);
    expect(readName(self, QNAME_AT, self.length)).toMatchObject({ ok: false, error: 'malformed', problem: 'compression pointers loop' });
    const pair = Buffer.concat([header({}), pointer(QNAME_AT + 2), pointer(QNAME_AT)]);
    expect(readName(pair, QNAME_AT, pair.length)).toMatchObject({ ok: false, problem: 'compression pointers loop' });
    // Labels in the loop: the 255-octet bound ends it.
    const labelled = Buffer.concat([header({}), Buffer.of(10), Buffer.alloc(10, 0x61), pointer(QNAME_AT)]);
    expect(readName(labelled, QNAME_AT, labelled.length)).toMatchObject({ ok: false, problem: 'name longer than 255 octets' });
  });

  it('rejects the obsolete label types and names past 255 octets; calls a name running off the bytes cut', () => {
    expect(readName(Buffer.from([0x41, 0]), 0, 2)).toMatchObject({ ok: false, error: 'malformed', problem: 'label type 0x40' });
    const long = Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.of(63), Buffer.alloc(63, 0x61)])), Buffer.of(0)]);
    expect(readName(long, 0, long.length)).toMatchObject({ ok: false, error: 'malformed' });
    expect(readName(Buffer.from([3, 0x61, 0x62]), 0, 3)).toMatchObject({ ok: false, error: 'cut' });
    expect(readName(Buffer.from([0xc0]), 0, 1)).toMatchObject({ ok: false, error: 'cut' });
    expect(readName(Buffer.from([0xc0, 0x40]), 0, 2)).toMatchObject({ ok: false, error: 'cut' });
  });
});

describe('messages', () => {
  const qname = wireName('app.example.test');

  it('maps addresses through a CNAME chain given out of order, and ignores records off the chain', () => {
    const msg = Buffer.concat([
      header({ an: 4 }),
      question(qname),
      rr(wireName('b.example.test'), 1, 50, ip4('192.0.2.1')),
      rr(wireName('unrelated.test'), 1, 50, ip4('192.0.2.66')),
      rr(pointer(QNAME_AT), 5, 300, wireName('a.example.test')),
      rr(wireName('A.Example.Test'), 5, 40, wireName('b.example.test')),
    ]);
    const m = dnsOf(parseDnsMessage(msg));
    expect(m.addresses).toEqual([{ address: '192.0.2.1', names: ['app.example.test', 'a.example.test', 'b.example.test'], ttl: 40 }]);
    expect(m.answers).toHaveLength(4);
  });

  it('reads the header fields of a query', () => {
    const m = dnsOf(parseDnsMessage(Buffer.concat([header({ id: 7, flags: 0x0100 }), question(qname, 28)])));
    expect(m).toEqual({ kind: 'dns', id: 7, response: false, opcode: 0, rcode: 0, tc: false, question: { name: 'app.example.test', type: 28 }, answers: [], addresses: [] });
  });

  it('names bad record data and stops there, keeping the answers before', () => {
    const good = rr(pointer(QNAME_AT), 1, 5, ip4('192.0.2.1'));
    const badA = rr(pointer(QNAME_AT), 1, 5, Buffer.alloc(5));
    const m = dnsOf(parseDnsMessage(Buffer.concat([header({ an: 3 }), question(qname), good, badA, good])));
    expect(m.answers).toHaveLength(1);
    expect(m.incomplete).toBe('malformed answer 2 of 3: A record with 5 bytes of data');
    const badCname = rr(pointer(QNAME_AT), 5, 5, Buffer.concat([wireName('x.test'), Buffer.of(0)]));
    expect(dnsOf(parseDnsMessage(Buffer.concat([header({ an: 1 }), question(qname), badCname]))).incomplete).toBe(
      'malformed answer 1 of 1: CNAME target does not fill its record data',
    );
    expect(dnsOf(parseDnsMessage(Buffer.concat([header({ an: 1 }), question(qname), rr(pointer(QNAME_AT), 28, 5, Buffer.alloc(4))]))).incomplete).toBe(
      'malformed answer 1 of 1: AAAA record with 4 bytes of data',
    );
  });

  it('reads A records of other classes as records without an address', () => {
    const m = dnsOf(parseDnsMessage(Buffer.concat([header({ an: 1 }), question(qname), rr(pointer(QNAME_AT), 1, 5, ip4('192.0.2.1'), 3)])));
    expect(m.answers).toEqual([{ name: 'app.example.test', type: 1, ttl: 5 }]);
    expect(m.addresses).toEqual([]);
  });

  it('tells counts that promise more than the datagram holds from a message the capture cut', () => {
    const msg = Buffer.concat([header({ an: 2 }), question(qname), rr(pointer(QNAME_AT), 1, 5, ip4('192.0.2.1'))]);
    expect(dnsOf(parseDnsMessage(msg, 'datagram')).incomplete).toBe(`malformed answer 2 of 2: runs past the end of the ${msg.length}-byte message`);
    expect(dnsOf(parseDnsMessage(msg, 'snaplen')).incomplete).toBe(`answer 2 of 2 truncated at ${msg.length} bytes (capture snaplen)`);
  });

  it('fails only without a header', () => {
    expect(parseDnsMessage(Buffer.alloc(11), 'limit')).toEqual({ kind: 'dns-error', reason: '11 bytes, shorter than a DNS header (payload limit)' });
    expect(parseDnsMessage(Buffer.alloc(0))).toEqual({ kind: 'dns-error', reason: '0 bytes, shorter than a DNS header (no more bytes seen)' });
  });

  it('takes the first of several questions and reads past the rest', () => {
    const msg = Buffer.concat([header({ qd: 2, an: 1 }), question(qname), question(wireName('other.test')), rr(pointer(QNAME_AT), 1, 9, ip4('192.0.2.9'))]);
    const m = dnsOf(parseDnsMessage(msg));
    expect(m.question?.name).toBe('app.example.test');
    expect(m.addresses).toEqual([{ address: '192.0.2.9', names: ['app.example.test'], ttl: 9 }]);
  });
});

describe('DNS over TCP', () => {
  const msg = Buffer.concat([header({ an: 1 }), question(wireName('t.test')), rr(pointer(QNAME_AT), 1, 9, ip4('192.0.2.9'))]);

  it('reads messages behind their length prefixes, a cut last one as far as it goes', () => {
    const stream = Buffer.concat([tcpFramed(msg), tcpFramed(msg)]);
    const cut = stream.subarray(0, stream.length - 3);
    const [first, second] = parseDnsTcpMessages(cut, 'gap');
    expect(dnsOf(first).addresses).toHaveLength(1);
    expect(dnsOf(second).incomplete).toBe(`answer 1 of 1 truncated at ${msg.length - 3} bytes (missing segment (gap))`);
  });

  it('stops at a length prefix too short for a header, and at the message bound', () => {
    expect(parseDnsTcpMessages(Buffer.concat([tcpFramed(msg), Buffer.from([0, 5]), Buffer.alloc(5)]))).toEqual([
      expect.objectContaining({ kind: 'dns' }),
      { kind: 'dns-error', reason: `TCP length prefix 5 at byte ${msg.length + 2} is shorter than a DNS header` },
    ]);
    expect(parseDnsTcpMessages(Buffer.concat(Array.from({ length: 40 }, () => tcpFramed(msg))))).toHaveLength(16);
    expect(parseDnsTcpMessages(Buffer.of(0), 'limit')).toEqual([{ kind: 'dns-error', reason: '1 bytes, no complete TCP length prefix (payload limit)' }]);
  });
});

describe('the real responses cut at every offset', () => {
  let responses: Buffer[] = [];
  beforeAll(async () => {
    const flows = await parseCaptureFlows(CAPTURE, () => null, 4096);
    responses = flows.filter((f) => f.protocol === 17).map((f) => f.toClient.payload);
  });

  it('keeps every answer wholly before the cut, never more, and says why it stopped', () => {
    expect(responses.length).toBeGreaterThan(5);
    for (const whole of responses) {
      const full = dnsOf(parseDnsMessage(whole, 'datagram'));
      for (let n = 0; n < whole.length; n++) {
        const r = parseDnsMessage(whole.subarray(0, n), 'limit');
        if (n < 12) {
          expect(r.kind).toBe('dns-error');
          continue;
        }
        const m = dnsOf(r);
        expect(m.id).toBe(full.id);
        expect(full.answers.slice(0, m.answers.length)).toEqual(m.answers);
        expect(m.incomplete, `cut at ${n}`).toMatch(new RegExp(`truncated at ${n} bytes \\(payload limit\\)$`));
        for (const a of m.addresses) expect(full.addresses.map((f) => f.address)).toContain(a.address);
      }
    }
  });
});
