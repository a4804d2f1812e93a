/**
 * Real DNS answers (test/fixtures/dns/dns-responder.py, queried over UDP and TCP by dns-query.py)
 * read through the capture reader and the flow table, parsed inside onFlow, and compared with the
 * answers the responder was told to give and with tshark's dissection of the same capture. Runs
 * on the committed capture and, with root and tcpdump, on one recorded now by the same script.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsMessage, type DnsParse, parseDnsMessage, parseDnsTcpMessages } from '../../src/decode/dns-message.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { dnsOf } from '../support/dns-messages.js';
import { tsharkDnsResponses } from '../support/dns-tshark.js';
import { parseCaptureFlows, type ParsedFlow } from '../support/tls-flows.js';
import { liveCaptureBlocker, missingTool, randomPortBase, reportBlocked, runScript } from '../support/tls-dns-tools.js';
import { newTempDir } from '../support/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/dns/', import.meta.url));
const SCRIPT = join(FIXTURES, 'make-dns-captures.sh');
const CAPTURE = 'dns-answers.pcap';
const DEFAULT_PORT = 20530;

interface Parsed {
  readonly queries: DnsParse[];
  readonly responses: DnsParse[];
}

/** Inside onFlow: UDP flows hold one datagram per direction, TCP flows length-prefixed messages. */
function parseFlow(flow: FlowRecord): Parsed {
  if (flow.protocol === 17) {
    return { queries: [parseDnsMessage(flow.toServer.payload, flow.toServer.payloadStop)], responses: [parseDnsMessage(flow.toClient.payload, flow.toClient.payloadStop)] };
  }
  return { queries: parseDnsTcpMessages(flow.toServer.payload, flow.toServer.payloadStop), responses: parseDnsTcpMessages(flow.toClient.payload, flow.toClient.payloadStop) };
}

const CHAIN = ['www.flowaudit.test', 'edge.cdn.flowaudit.test', 'pool.cdn-provider.test'];

/** What each response must hold, by transport and question name as sent. */
const EXPECTED: Record<string, (m: DnsMessage) => void> = {
  'udp www.flowaudit.test'(m) {
    expect(m).toMatchObject({ response: true, rcode: 0, tc: false, question: { name: 'www.flowaudit.test', type: 1 } });
    expect(m.answers).toEqual([
      { name: 'www.flowaudit.test', type: 5, ttl: 300, target: 'edge.cdn.flowaudit.test' },
      { name: 'edge.cdn.flowaudit.test', type: 5, ttl: 60, target: 'pool.cdn-provider.test' },
      { name: 'pool.cdn-provider.test', type: 1, ttl: 30, address: '192.0.2.10' },
      { name: 'pool.cdn-provider.test', type: 1, ttl: 20, address: '192.0.2.11' },
    ]);
    expect(m.addresses).toEqual([
      { address: '192.0.2.10', names: CHAIN, ttl: 30 },
      { address: '192.0.2.11', names: CHAIN, ttl: 20 },
    ]);
  },
  'udp v6.flowaudit.test'(m) {
    expect(m.question).toEqual({ name: 'v6.flowaudit.test', type: 28 });
    expect(m.addresses).toEqual([
      { address: '2001:db8::1', names: ['v6.flowaudit.test'], ttl: 120 },
      { address: '2001:db8::1:0:0:1', names: ['v6.flowaudit.test'], ttl: 120 },
      { address: '::ffff:192.0.2.1', names: ['v6.flowaudit.test'], ttl: 90 },
    ]);
  },
  'udp nx.flowaudit.test'(m) {
    expect(m).toMatchObject({ rcode: 3, answers: [], addresses: [] });
  },
  'udp loop.flowaudit.test'(m) {
    // The chain loops back to the question: followed once round, no address, no hang.
    expect(m.answers.map((a) => a.target)).toEqual(['loop2.flowaudit.test', 'loop.flowaudit.test']);
    expect(m.addresses).toEqual([]);
  },
  'udp mail.flowaudit.test'(m) {
    expect(m.answers).toEqual([{ name: 'mail.flowaudit.test', type: 15, ttl: 3600 }]);
    expect(m.addresses).toEqual([]);
  },
  'udp ttl.flowaudit.test'(m) {
    expect(m.answers).toEqual([{ name: 'ttl.flowaudit.test', type: 1, ttl: 0x80000000, address: '192.0.2.99' }]);
    expect(m.addresses).toEqual([{ address: '192.0.2.99', names: ['ttl.flowaudit.test'], ttl: 0 }]);
  },
  'udp WwW.FlowAudit.TEST'(m) {
    // The server compresses against the question's case; the mapping compares case-insensitively.
    expect(m.question?.name).toBe('WwW.FlowAudit.TEST');
    expect(m.answers[0]).toMatchObject({ name: 'WwW.FlowAudit.TEST', target: 'edge.cdn.FlowAudit.TEST' });
    expect(m.addresses.map((a) => a.names)).toEqual([CHAIN, CHAIN]);
  },
  'udp ptr.flowaudit.test'(m) {
    expect(m.answers.map((a) => [a.name, a.address])).toEqual([
      ['ptr.flowaudit.test', '203.0.113.45'],
      ['ptr.flowaudit.test', '203.0.113.46'],
    ]);
  },
  'udp big.flowaudit.test'(m) {
    expect(m).toMatchObject({ tc: true, answers: [], addresses: [] });
  },
  'tcp big.flowaudit.test'(m) {
    expect(m.tc).toBe(false);
    expect(m.addresses).toHaveLength(40);
    expect(m.addresses[39]).toEqual({ address: '198.51.100.40', names: ['big.flowaudit.test'], ttl: 600 });
  },
};

function captureSuite(label: string, setup: () => { dir: string; port: number; cleanup?: () => void }): void {
  describe(label, () => {
    let dir = '';
    let port = 0;
    let cleanup: (() => void) | undefined;
    let flows: ParsedFlow<Parsed>[] = [];
    let flowsAt512: ParsedFlow<Parsed>[] = [];
    beforeAll(async () => {
      ({ dir, port, cleanup } = setup());
      flows = await parseCaptureFlows(join(dir, CAPTURE), parseFlow, 4096);
      flowsAt512 = await parseCaptureFlows(join(dir, CAPTURE), parseFlow, 512);
    });
    afterAll(() => cleanup?.());

    const responses = (list: ParsedFlow<Parsed>[]): Map<string, DnsMessage[]> => {
      const byKey = new Map<string, DnsMessage[]>();
      for (const f of list) {
        for (const r of f.parsed.responses) {
          const m = dnsOf(r);
          const key = `${f.protocol === 17 ? 'udp' : 'tcp'} ${m.question?.name}`;
          byKey.set(key, [...(byKey.get(key) ?? []), m]);
        }
      }
      return byKey;
    };

    it('finds one flow per UDP query and per TCP connection, each a query and its answer', () => {
      expect(flows.map((f) => f.protocol)).toEqual([17, 17, 17, 17, 17, 17, 17, 17, 17, 6, 6]);
      for (const f of flows) {
        expect(f.serverPort).toBe(port);
        expect(f.parsed.queries.map((q) => dnsOf(q).response)).toEqual(f.parsed.responses.map(() => false));
        for (const r of f.parsed.responses) expect(dnsOf(r).incomplete).toBeUndefined();
      }
      expect(flows[0].toClient.payloadStop).toBe('datagram');
    });

    for (const [key, check] of Object.entries(EXPECTED)) {
      it(`${key}: holds the answers the responder gave`, () => {
        const found = responses(flows).get(key);
        expect(found, key).toHaveLength(1);
        check(found![0]);
      });
    }

    it('reads two messages pipelined on one TCP connection, in order', () => {
      const pipelined = flows[flows.length - 1];
      expect(pipelined.parsed.responses.map((r) => [dnsOf(r).id, dnsOf(r).question?.name])).toEqual([
        [0x100b, 'www.flowaudit.test'],
        [0x100c, 'v6.flowaudit.test'],
      ]);
      expect(dnsOf(pipelined.parsed.responses[0]).addresses.map((a) => a.address)).toEqual(['192.0.2.10', '192.0.2.11']);
    });

    it('with a 512-byte payload limit, keeps the answers before the cut and says where it fell', () => {
      const big = dnsOf(flowsAt512.find((f) => f.protocol === 6)!.parsed.responses[0]);
      // 2 length bytes, a 36-byte header and question, then 16 bytes per compressed A record.
      const whole = Math.floor((512 - 2 - 36) / 16);
      expect(big.answers).toHaveLength(whole);
      expect(big.incomplete).toBe(`answer ${whole + 1} of 40 truncated at 510 bytes (payload limit)`);
      expect(big.addresses).toHaveLength(whole);
    });

    const tsharkMissing = missingTool(['tshark']);
    if (tsharkMissing !== undefined) {
      reportBlocked('tshark cross-check', 'tshark is not installed');
      return;
    }
    it('agrees with tshark on every response: id, name, rcode, TC, addresses, CNAMEs and TTLs', () => {
      const ours = flows.flatMap((f) => f.parsed.responses.map(dnsOf));
      const shark = tsharkDnsResponses(join(dir, CAPTURE), port);
      expect(shark.map((t) => t.id)).toEqual(ours.map((m) => m.id));
      for (const [i, t] of shark.entries()) {
        const m = ours[i];
        const at = `response 0x${t.id.toString(16)}`;
        expect(m.question?.name, at).toBe(t.name);
        expect([m.rcode, m.tc, m.answers.length], at).toEqual([t.rcode, t.tc, t.answerCount]);
        expect(m.answers.filter((a) => a.type === 1).map((a) => a.address), at).toEqual(t.a);
        expect(m.answers.filter((a) => a.type === 28).map((a) => a.address), at).toEqual(t.aaaa);
        expect(m.answers.filter((a) => a.type === 5).map((a) => a.target), at).toEqual(t.cname);
        expect(m.answers.map((a) => a.ttl), at).toEqual(t.ttls);
      }
    });
  });
}

captureSuite('committed capture (test/fixtures/dns)', () => ({ dir: FIXTURES, port: DEFAULT_PORT }));

const blocker = liveCaptureBlocker(['tcpdump', 'python3', 'ss']);
if (blocker !== undefined) {
  describe('live capture on loopback', () => reportBlocked('recording DNS answers on loopback', blocker));
} else {
  captureSuite('live capture on loopback, recorded now', () => {
    const dir = newTempDir('dns').path;
    const port = randomPortBase();
    runScript(SCRIPT, [dir, String(port)]);
    return { dir, port, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  });
}
