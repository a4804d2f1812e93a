/**
 * Property tests: random bytes, and the real handshakes of the committed capture cut and damaged
 * (bit flips, insertions, deletions, overwritten length words), never make the TLS parser throw
 * or run away, and whatever it returns keeps its promises.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAnyTlsHandshake, parseTlsHandshake, type TlsEvidence, type TlsHandshake } from '../../src/decode/tls-handshake.js';
import type { DirectionBytes, StreamStop } from '../../src/decode/tls-stream-stop.js';
import { mutate, mutationsArb } from '../capture/byte-mutations.js';
import { handshakeSeeds, type HandshakeSeed } from '../support/tls-flows.js';
import { clientHelloBody, handshake, record } from '../support/tls-records.js';

const u16 = (v: number): Buffer => Buffer.from([v >> 8, v & 0xff]);

const STOPS: StreamStop[] = ['end', 'limit', 'gap', 'snaplen', 'datagram', 'budget'];
const RUNS = 400;

let seeds: HandshakeSeed[] = [];
beforeAll(async () => {
  seeds = await handshakeSeeds();
  expect(seeds.length).toBeGreaterThan(5);
});

/** Parses, timing the call: one flow's parse is a few microseconds, so a second means a runaway loop. */
function parseBounded(client: DirectionBytes, server: DirectionBytes): TlsEvidence {
  const started = performance.now();
  const result = parseTlsHandshake(client, server);
  expect(performance.now() - started).toBeLessThan(1000);
  return result;
}

/** What every result promises, whatever the input. */
function checkInvariants(r: TlsEvidence, client: DirectionBytes, server: DirectionBytes): void {
  const json = JSON.stringify(r);
  // Metadata only: names are escaped to printable ASCII, and nothing grows with the input.
  expect(json).not.toMatch(/[\u0000-\u001f\u007f-\uffff]/);
  expect(json.length).toBeLessThan(2000 + 4 * (client.payload.length + server.payload.length) / 8);
  if (r.kind === 'not-tls') {
    expect(r.reason).toMatch(/^no TLS handshake in either direction: /);
    return;
  }
  expect(['proven', 'absent', 'unverifiable', 'unknown']).toContain(r.mtls);
  if (r.mtls === 'proven') {
    expect(r.certificateRequest).toBe(true);
    expect(r.clientCertificate).toBe('non-empty');
    expect(r.version === undefined || r.version !== '1.3').toBe(true);
  }
  if (r.mtls === 'unknown') expect(r.incomplete).toBeTruthy();
  if (r.version === '1.3') expect(r.mtls).toBe('unverifiable');
  if (r.incomplete !== undefined) expect(r.incomplete).not.toMatch(/undefined|NaN|\[object/);
}

const direction = (payload: Buffer, stop: StreamStop): DirectionBytes => ({ payload, payloadStop: stop });

describe('TLS parser under random and damaged input', () => {
  it('never throws on random bytes, with or without a TLS-looking start', () => {
    const head = fc.constantFrom(Buffer.alloc(0), Buffer.from([22, 3, 1]), Buffer.from([22, 3, 3, 0, 60, 1]), Buffer.from([22, 3, 3, 0, 60, 2]), Buffer.from([0x80]));
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 600 }), head, fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...STOPS), (h1, b1, h2, b2, stop) => {
        const client = direction(Buffer.concat([h1, b1]), stop);
        const server = direction(Buffer.concat([h2, b2]), stop);
        checkInvariants(parseBounded(client, server), client, server);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on random handshake messages in well-formed records', () => {
    const message = fc.record({ type: fc.constantFrom(1, 2, 4, 11, 12, 13, 14, 16, 99), body: fc.uint8Array({ maxLength: 300 }), lie: fc.integer({ min: -8, max: 8 }) });
    const stream = fc.array(message, { maxLength: 6 }).map((ms) =>
      Buffer.concat(
        ms.map(({ type, body, lie }) => {
          const header = Buffer.alloc(4);
          header[0] = type;
          header.writeUIntBE(Math.max(0, body.length + lie), 1, 3);
          return Buffer.concat([header, body]);
        }),
      ),
    );
    fc.assert(
      fc.property(stream, stream, fc.integer({ min: 1, max: 400 }), (c, s, size) => {
        const frame = (b: Buffer): Buffer => {
          const parts: Buffer[] = [];
          for (let p = 0; p < b.length; p += size) parts.push(record(22, b.subarray(p, p + size)));
          return Buffer.concat(parts);
        };
        const client = direction(frame(c), 'end');
        const server = direction(frame(s), 'end');
        checkInvariants(parseBounded(client, server), client, server);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on real handshakes cut anywhere with any stop reason', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.constantFrom(...STOPS), fc.constantFrom(...STOPS), (which, a, b, s1, s2) => {
        const seed = seeds[which % seeds.length];
        const client = direction(seed.client.subarray(0, a % (seed.client.length + 1)), s1);
        const server = direction(seed.server.subarray(0, b % (seed.server.length + 1)), s2);
        checkInvariants(parseBounded(client, server), client, server);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on real handshakes with mutated bytes', () => {
    fc.assert(
      fc.property(fc.nat(), mutationsArb, mutationsArb, fc.boolean(), (which, m1, m2, both) => {
        const seed = seeds[which % seeds.length];
        const client = direction(mutate(seed.client, m1), 'end');
        const server = direction(both ? mutate(seed.server, m2) : seed.server, 'limit');
        checkInvariants(parseBounded(client, server), client, server);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('reads a server flight the same with warning alerts before it (unrecognized_name and the like)', () => {
    // Warnings that do not end the connection: any description but close_notify (0) and user_canceled (90).
    const description = fc.integer({ min: 1, max: 255 }).filter((d) => d !== 90);
    fc.assert(
      fc.property(fc.nat(), fc.array(description, { minLength: 1, maxLength: 3 }), (which, descriptions) => {
        const seed = seeds[which % seeds.length];
        if (seed.server[0] !== 22) return;
        const client = direction(seed.client, 'end');
        const warnings = Buffer.concat(descriptions.map((d) => record(21, Buffer.from([1, d]))));
        const plain = parseAnyTlsHandshake(client, direction(seed.server, 'end'));
        const warned = parseAnyTlsHandshake(client, direction(Buffer.concat([warnings, seed.server]), 'end'));
        // Shortfall texts name byte counts, which the alerts shift: compare all else.
        const { incomplete: a, ...plainRest } = plain as TlsHandshake;
        const { incomplete: b, ...warnedRest } = warned as TlsHandshake;
        expect(warnedRest).toStrictEqual(plainRest);
        expect(b === undefined).toBe(a === undefined);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads TLS 1.3 draft ServerHellos (drafts up to 21) of any suite and extensions, and never throws on damaged ones', () => {
    const extension = fc.record({ type: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 43 && t !== 16), data: fc.uint8Array({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0x7f00, max: 0x7f15 }), fc.integer({ min: 0, max: 0xffff }), fc.array(extension, { maxLength: 4 }), fc.uint8Array({ maxLength: 8 }), (draft, suite, extensions, junk) => {
        const exts = Buffer.concat(extensions.map(({ type, data }) => Buffer.concat([u16(type), u16(data.length), Buffer.from(data)])));
        const body = Buffer.concat([u16(draft), Buffer.alloc(32, 9), u16(suite), u16(exts.length), exts]);
        const client = direction(record(22, handshake(1, clientHelloBody({}))), 'end');
        const whole = parseBounded(client, direction(record(22, handshake(2, body)), 'end'));
        checkInvariants(whole, client, direction(Buffer.alloc(0), 'end'));
        expect(whole).toMatchObject({ version: '1.3', mtls: 'unverifiable', serverHello: { legacyVersion: draft, cipherSuite: suite, complete: true } });
        // The same hello with junk inside its declared length: no throw, the promises kept.
        const damaged = direction(record(22, handshake(2, Buffer.concat([body, Buffer.from(junk)]))), 'end');
        checkInvariants(parseBounded(client, damaged), client, damaged);
      }),
      { numRuns: RUNS },
    );
  });

  it('claims mTLS proven for a mutated handshake only when the bytes still show it', () => {
    // A flipped bit may turn an empty certificate list into a non-empty one; it must never turn a
    // handshake without CertificateRequest into a proven one unless a type byte became 13.
    fc.assert(
      fc.property(fc.nat(), mutationsArb, (which, m) => {
        const seed = seeds[which % seeds.length];
        const server = direction(mutate(seed.server, m), 'end');
        const r = parseBounded(direction(seed.client, 'end'), server);
        if (r.kind === 'tls' && r.mtls === 'proven') expect(server.payload.includes(13)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
