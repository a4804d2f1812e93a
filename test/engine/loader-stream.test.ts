/**
 * LoaderStreamDecoder on a stream the real loader recorded (test/fixtures/loader/pods.stream,
 * made by test/ebpf/flow-parity.test.ts with FLOWAUDIT_UPDATE_FIXTURES=1), on streams protobufjs
 * writes from the schema, and on broken ones: cut, corrupted, oversized, random. It never
 * throws, counts each problem and names its offset.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoaderEvent } from '../../src/engine/loader-events.js';
import { loaderEventType } from '../../src/engine/loader-schema.js';
import { decodeLoaderStream, LoaderStreamDecoder, MAX_EVENT_BYTES } from '../../src/engine/loader-stream.js';

const RECORDED = readFileSync(fileURLToPath(new URL('../fixtures/loader/pods.stream', import.meta.url)));

/** One Event written with protobufjs' own delimited framing. */
function delimited(event: Record<string, unknown>): Buffer {
  const type = loaderEventType();
  return Buffer.from(type.encodeDelimited(type.fromObject(event)).finish());
}

const v4 = (text: string) => Buffer.from(text.split('.').map(Number));
const FLOW = {
  flow: {
    key: { ipVersion: 4, protocol: 6, addressA: v4('10.0.0.1'), addressB: v4('10.0.0.2'), portA: 41000, portB: 443 },
    aToB: { packets: 5, bytes: 6_000_000_000, tcpFlags: 0x1b },
    bToA: { packets: 4, bytes: 900, tcpFlags: 0x1a },
    synSide: 1,
    synAckSide: 2,
    firstNs: '1795398684575554000',
    lastNs: '1795398685000000000',
    ifIndex: 7,
    end: 3,
  },
};
const PAYLOAD = {
  payload: {
    key: { ipVersion: 6, protocol: 17, addressA: Buffer.from('fd000000000000000000000000000001', 'hex'), addressB: Buffer.from('fd000000000000000000000000000002', 'hex'), portA: 53, portB: 5353 },
    bToA: true,
    offset: 12,
    data: Buffer.from('answer'),
  },
};

describe('the recorded stream of a real loader run', () => {
  const { events, problems, stats } = decodeLoaderStream(RECORDED);

  it('decodes whole, Hello first, with no problem', () => {
    expect(problems).toEqual([]);
    expect(stats).toMatchObject({ malformed: 0, truncated: 0, oversized: 0, discardedBytes: 0, bytes: RECORDED.length });
    expect(events[0]).toMatchObject({ kind: 'hello', schemaVersion: 1, attachMode: 'tcx', payloadLimit: 4096 });
  });

  it('has the run\'s five TCP and UDP flows, closed by the stop, with SYN sides and the node\'s interfaces', () => {
    const final = events.filter((e) => e.kind === 'flow' && e.end === 'stop' && (e.key.protocol === 6 || e.key.protocol === 17));
    expect(final).toHaveLength(5);
    const dns = final.find((e) => e.kind === 'flow' && e.key.protocol === 17);
    expect(dns).toMatchObject({ aToB: { packets: 1 }, bToA: { packets: 1 }, synSide: null });
    const attached = events.filter((e) => e.kind === 'interface' && e.attached).map((e) => e.kind === 'interface' && e.name);
    expect(attached).toEqual(expect.arrayContaining(['fa-e-br', 'fa-e-b1h', 'fa-e-b2h', 'fa-e-r1h', 'fa-e-r2h', 'fa-e-outh']));
  });

  it('carries the DNS query as a payload chunk at offset 0', () => {
    const chunk = events.find((e) => e.kind === 'payload' && e.key.protocol === 17 && e.key.b.port === 53 && !e.bToA);
    expect(chunk).toBeDefined();
    if (chunk?.kind !== 'payload') return;
    expect(chunk.offset).toBe(0);
    expect(Buffer.from(chunk.data).includes(Buffer.from('\x04fa-e\x04test\x00', 'latin1'))).toBe(true);
  });

  it('gives the same events whatever chunks the stream arrives in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: RECORDED.length - 1 }), { maxLength: 40 }), (cuts) => {
        const got: LoaderEvent[] = [];
        const decoder = new LoaderStreamDecoder((e) => got.push(e));
        let at = 0;
        for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
          decoder.push(RECORDED.subarray(at, cut));
          at = cut;
        }
        decoder.push(RECORDED.subarray(at));
        decoder.end();
        expect(got).toEqual(events);
      }),
      { numRuns: 50 },
    );
  });
});

describe('events written from the schema', () => {
  it('map to typed events: sides, ends, times in seconds, 64-bit counters, IPv6 text', () => {
    const { events, problems } = decodeLoaderStream(Buffer.concat([delimited(FLOW), delimited(PAYLOAD)]));
    expect(problems).toEqual([]);
    expect(events).toEqual([
      {
        kind: 'flow',
        key: { ipVersion: 4, protocol: 6, a: { address: '10.0.0.1', port: 41000 }, b: { address: '10.0.0.2', port: 443 } },
        aToB: { packets: 5, bytes: 6_000_000_000, tcpFlags: 0x1b },
        bToA: { packets: 4, bytes: 900, tcpFlags: 0x1a },
        synSide: 'a',
        synAckSide: 'b',
        firstSeen: 1795398684.575554,
        lastSeen: 1795398685,
        ifIndex: 7,
        end: 'stop',
      },
      {
        kind: 'payload',
        key: { ipVersion: 6, protocol: 17, a: { address: 'fd00::1', port: 53 }, b: { address: 'fd00::2', port: 5353 } },
        bToA: true,
        offset: 12,
        data: expect.objectContaining({ length: 6 }),
      },
    ]);
  });
});

describe('broken streams', () => {
  it('a stream cut inside an event: the events before it, one truncated count, the offset named', () => {
    const whole = Buffer.concat([delimited(FLOW), delimited(PAYLOAD)]);
    const first = delimited(FLOW).length;
    for (let cut = first + 1; cut < whole.length; cut++) {
      const { events, problems, stats } = decodeLoaderStream(whole.subarray(0, cut));
      expect(events).toHaveLength(1);
      expect(stats.truncated).toBe(1);
      expect(problems.map(String)).toEqual([expect.stringMatching(new RegExp(`^Error: loader stream: truncated event at byte ${first}: the stream ends (inside a length prefix|after \\d+ of its \\d+ bytes)$`))]);
    }
  });

  it('an event whose bytes do not decode is counted and skipped; the next one still decodes', () => {
    const garbage = Buffer.from([0x04, 0x12, 0xff, 0xff, 0xff]); // length 4: field 2, a length running past the end
    const badAddress = delimited({ flow: { ...FLOW.flow, key: { ...FLOW.flow.key, addressA: Buffer.from([1, 2, 3]) } } });
    const { events, problems, stats } = decodeLoaderStream(Buffer.concat([garbage, badAddress, delimited(PAYLOAD)]));
    expect(events.map((e) => e.kind)).toEqual(['payload']);
    expect(stats.malformed).toBe(2);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^loader stream: malformed event at byte 0: /),
      `loader stream: malformed event at byte ${garbage.length}: address_a has 3 bytes, IPv4 needs 4`,
    ]);
  });

  it('a length prefix of 2 GB ends decoding at once, allocating nothing for it', () => {
    const garbage = Buffer.alloc(1 << 20, 0x41);
    const before = process.memoryUsage().arrayBuffers;
    const decoder = new LoaderStreamDecoder(() => undefined, (p) => problems.push(p.message));
    const problems: string[] = [];
    decoder.push(delimited(PAYLOAD));
    decoder.push(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08])); // 2^31
    for (let i = 0; i < 64; i++) decoder.push(garbage);
    decoder.end();
    // 64 MiB went in; a decoder that kept them, or allocated for the 2 GB event, would hold them.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 << 20);
    expect(problems).toEqual([`loader stream: oversized event at byte ${delimited(PAYLOAD).length}: length 2147483648 exceeds ${MAX_EVENT_BYTES}`]);
    expect(decoder.stats).toMatchObject({ events: 1, oversized: 1, discardedBytes: 5 + 64 * (1 << 20) });
  });

  it('names the same problems at the same offsets, with the same counts, whatever chunks the stream arrives in', () => {
    const garbage = Buffer.from([0x04, 0x12, 0xff, 0xff, 0xff]);
    const tails = [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x41, 0x41]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), delimited(FLOW).subarray(0, 9)];
    for (const tail of tails) {
      const stream = Buffer.concat([delimited(FLOW), garbage, delimited(PAYLOAD), delimited(FLOW), tail]);
      const whole = decodeLoaderStream(stream);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
          const events: LoaderEvent[] = [];
          const problems: string[] = [];
          const decoder = new LoaderStreamDecoder((e) => events.push(e), (p) => problems.push(p.message));
          let at = 0;
          for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
            decoder.push(stream.subarray(at, cut));
            at = cut;
          }
          decoder.push(stream.subarray(at));
          decoder.end();
          expect([events, problems, decoder.stats]).toEqual([whole.events, whole.problems.map((p) => p.message), whole.stats]);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('a length prefix longer than 5 bytes is refused as oversized', () => {
    const { problems, stats } = decodeLoaderStream(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(stats.oversized).toBe(1);
    expect(problems.map((p) => p.message)).toEqual(['loader stream: oversized event at byte 0: length prefix longer than 5 bytes']);
  });

  it('random bytes never throw, and every byte is decoded, skipped or counted as discarded or truncated', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 512 }), (bytes, step) => {
        const decoder = new LoaderStreamDecoder(() => undefined);
        for (let at = 0; at < bytes.length; at += step) decoder.push(bytes.subarray(at, at + step));
        decoder.end();
        const s = decoder.stats;
        expect(s.bytes).toBe(bytes.length);
        expect(s.truncated + s.oversized).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('random events round-trip through protobufjs framing', () => {
    const event = fc.record({
      counters: fc.record({ packets: fc.nat(), duplicateHook: fc.nat(), ringReserveFailed: fc.nat(), mapFull: fc.nat(), evicted: fc.nat(), notIp: fc.nat(), truncated: fc.nat(), fragments: fc.nat(), fragmentWithoutFirst: fc.nat(), tooManyExtHeaders: fc.nat(),
        reusedTuples: fc.nat(), reuseNotSplit: fc.nat(), lateAfterClose: fc.nat(), mapEntries: fc.nat() }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (written) => {
        const { events, problems } = decodeLoaderStream(Buffer.concat(written.map(delimited)));
        expect(problems).toEqual([]);
        expect(events).toEqual(written.map((w) => ({ kind: 'counters', ...w.counters })));
      }),
      { numRuns: 100 },
    );
  });
});

