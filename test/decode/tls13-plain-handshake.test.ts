/**
 * The flat TLS 1.3 reader against the full one: wherever readPlainTls13 answers, on the real
 * handshakes of the committed capture, cut anywhere, damaged, or framed at random, its answer is
 * the full reader's, field for field; and it does answer for the plain TLS 1.3 handshakes (else
 * these properties would hold of a reader that never answers).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAnyTlsHandshake, parseTlsHandshake } from '../../src/decode/tls-handshake.js';
import { readPlainTls13 } from '../../src/decode/tls13-plain-handshake.js';
import type { DirectionBytes, StreamStop } from '../../src/decode/tls-stream-stop.js';
import { mutate, mutationsArb } from '../capture/byte-mutations.js';
import { handshakeSeeds, type HandshakeSeed } from '../support/tls-flows.js';
import { record } from '../support/tls-records.js';

const STOPS: StreamStop[] = ['end', 'limit', 'gap', 'snaplen', 'datagram', 'budget', 'tls-data'];
const RUNS = 1000;

let seeds: HandshakeSeed[] = [];
beforeAll(async () => {
  seeds = await handshakeSeeds();
  expect(seeds.length).toBeGreaterThan(5);
});

const direction = (payload: Buffer, stop: StreamStop): DirectionBytes => ({ payload, payloadStop: stop });

/** Whether the flat reader answered; when it did, its answer must be the full reader's. */
function agrees(client: DirectionBytes, server: DirectionBytes): boolean {
  const plain = readPlainTls13(client, server);
  if (plain === undefined) return false;
  expect(plain).toStrictEqual(parseAnyTlsHandshake(client, server));
  return true;
}

describe('the flat TLS 1.3 reader', () => {
  it('answers for every TLS 1.3 handshake of the captures but the HelloRetryRequest and the draft, as the full reader does, and declines the older ones', () => {
    let answered = 0;
    for (const seed of seeds) {
      const client = direction(seed.client, 'tls-data');
      const server = direction(seed.server, 'tls-data');
      const full = parseAnyTlsHandshake(client, server);
      const plain = full.kind === 'tls' && full.version === '1.3' && full.serverHello?.helloRetryRequest !== true && full.serverHello?.selectedVersion === 0x0304;
      expect(agrees(client, server)).toBe(plain);
      if (plain) answered++;
    }
    expect(answered).toBeGreaterThanOrEqual(3);
  });

  it('leaves parseTlsHandshake answering as the full reader does', () => {
    for (const seed of seeds) {
      const client = direction(seed.client, 'end');
      const server = direction(seed.server, 'end');
      expect(parseTlsHandshake(client, server)).toStrictEqual(parseAnyTlsHandshake(client, server));
    }
  });

  it('agrees with the full reader on real handshakes cut anywhere, with any stop reason', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.option(fc.nat()), fc.constantFrom(...STOPS), (which, a, b, stop) => {
        const seed = seeds[which % seeds.length];
        const client = direction(seed.client.subarray(0, a % (seed.client.length + 1)), stop);
        const server = direction(b === null ? seed.server : seed.server.subarray(0, b % (seed.server.length + 1)), stop);
        if (agrees(client, server)) answered++;
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(0);
  });

  it('answers for a TLS 1.3 ClientHello cut anywhere past its version (a capture\'s snaplen), as the full reader does', () => {
    let plainSeeds = 0;
    for (const seed of seeds) {
      const server = direction(seed.server, 'tls-data');
      if (readPlainTls13(direction(seed.client, 'tls-data'), server) === undefined) continue;
      plainSeeds++;
      const helloEnd = 9 + seed.client.readUIntBE(6, 3);
      for (let cut = 11; cut <= helloEnd; cut++) expect(agrees(direction(seed.client.subarray(0, cut), 'snaplen'), server)).toBe(true);
    }
    expect(plainSeeds).toBeGreaterThanOrEqual(3);
  });

  it('agrees with the full reader on real handshakes with damaged bytes', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.nat(), mutationsArb, mutationsArb, fc.nat(), (which, m1, m2, side) => {
        const seed = seeds[which % seeds.length];
        const client = direction(side % 3 === 1 ? seed.client : mutate(seed.client, m1), 'end');
        const server = direction(side % 3 === 2 ? seed.server : mutate(seed.server, m2), 'limit');
        if (agrees(client, server)) answered++;
      }),
      { numRuns: RUNS * 2 },
    );
    expect(answered).toBeGreaterThan(0);
  });

  it('agrees with the full reader on hello bodies of random bytes in well-framed records', () => {
    // A ServerHello selecting TLS 1.3 and a ClientHello with random fields and lengths: framed
    // right, so that the flat reader's own checks, not the record layer, decide.
    const serverHello = Buffer.concat([
      Buffer.from([0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0]), Buffer.from([0x13, 0x01, 0]),
      Buffer.from([0, 6, 0, 43, 0, 2, 0x03, 0x04]),
    ]);
    const message = (type: number, body: Uint8Array, lie: number): Buffer => {
      const header = Buffer.alloc(4);
      header[0] = type;
      header.writeUIntBE(Math.max(0, body.length + lie), 1, 3);
      return Buffer.concat([header, body]);
    };
    let answered = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -4, max: 4 }), fc.nat(400), fc.constantFrom(...STOPS), (body, lie, cut, stop) => {
        const hello = message(1, Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32), body]), lie);
        const client = direction(record(22, hello).subarray(0, 9 + (cut % (hello.length + 1))), stop);
        const server = direction(record(22, message(2, serverHello, 0)), 'tls-data');
        if (agrees(client, server)) answered++;
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(0);
  });
});
