/**
 * Property tests: random bytes, random compression pointers, and the real responses of the
 * committed capture cut and damaged never make the DNS parser throw or run away, and whatever
 * it returns keeps its promises.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DnsParse, parseDnsMessage, parseDnsTcpMessages } from '../../src/decode/dns-message.js';
import type { StreamStop } from '../../src/decode/tls-stream-stop.js';
import { mutate, mutationsArb } from '../capture/byte-mutations.js';
import { header } from '../support/dns-messages.js';
import { parseCaptureFlows } from '../support/tls-flows.js';

const CAPTURE = new URL('../fixtures/dns/dns-answers.pcap', import.meta.url).pathname;
const STOPS: StreamStop[] = ['end', 'limit', 'gap', 'snaplen', 'datagram', 'budget'];
const RUNS = 400;

let udp: Buffer[] = [];
let tcp: Buffer[] = [];
beforeAll(async () => {
  const flows = await parseCaptureFlows(CAPTURE, () => null, 4096);
  udp = flows.filter((f) => f.protocol === 17).flatMap((f) => [f.toClient.payload, f.toServer.payload]);
  tcp = flows.filter((f) => f.protocol === 6).flatMap((f) => [f.toClient.payload, f.toServer.payload]);
  expect(udp.length).toBeGreaterThan(10);
  expect(tcp.length).toBe(4);
});

function bounded<T>(run: () => T): T {
  const started = performance.now();
  const result = run();
  expect(performance.now() - started).toBeLessThan(1000);
  return result;
}

function checkInvariants(r: DnsParse, input: Buffer): void {
  const json = JSON.stringify(r);
  expect(json).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
  if (r.kind === 'dns-error') {
    expect(r.reason).not.toMatch(/undefined|NaN/);
    return;
  }
  expect(input.length).toBeGreaterThanOrEqual(12);
  // Every answer needs at least 11 bytes of the message, every mapped address an answer.
  expect(r.answers.length * 11).toBeLessThanOrEqual(input.length);
  expect(r.addresses.length).toBeLessThanOrEqual(r.answers.length);
  for (const a of r.addresses) {
    expect(a.names[0]).toBe(r.question?.name.toLowerCase());
    expect(r.answers.some((x) => x.address === a.address)).toBe(true);
    expect(a.ttl).toBeLessThanOrEqual(0x7fffffff);
  }
  if (r.incomplete !== undefined) expect(r.incomplete).not.toMatch(/undefined|NaN/);
}

describe('DNS parser under random and damaged input', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.constantFrom(...STOPS), (bytes, stop) => {
        const b = Buffer.from(bytes);
        checkInvariants(bounded(() => parseDnsMessage(b, stop)), b);
        for (const r of bounded(() => parseDnsTcpMessages(b, stop))) expect(['dns', 'dns-error']).toContain(r.kind);
      }),
      { numRuns: RUNS },
    );
  });

  it('never loops on bodies made of labels and compression pointers', () => {
    const piece = fc.oneof(
      fc.integer({ min: 0, max: 0x3fff }).map((p) => Buffer.from([0xc0 | (p >> 8), p & 0xff])),
      fc.integer({ min: 12, max: 80 }).map((p) => Buffer.from([0xc0, p])),
      fc.integer({ min: 0, max: 63 }).map((n) => Buffer.concat([Buffer.of(n), Buffer.alloc(n, 0x61)])),
      fc.constant(Buffer.of(0)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (pieces, qd, an) => {
        const msg = Buffer.concat([header({ qd, an }), ...pieces]);
        checkInvariants(bounded(() => parseDnsMessage(msg, 'datagram')), msg);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on real messages cut anywhere or mutated', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb, fc.constantFrom(...STOPS), (which, mutations, stop) => {
        const m = mutate(udp[which % udp.length], mutations);
        checkInvariants(bounded(() => parseDnsMessage(m, stop)), m);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('never throws on real TCP streams cut anywhere or mutated', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb, fc.constantFrom(...STOPS), (which, mutations, stop) => {
        const s = mutate(tcp[which % tcp.length], mutations);
        const out = bounded(() => parseDnsTcpMessages(s, stop));
        expect(out.length).toBeGreaterThan(0);
        expect(out.length).toBeLessThanOrEqual(16);
        for (const r of out) expect(JSON.stringify(r)).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
      }),
      { numRuns: RUNS },
    );
  });
});
