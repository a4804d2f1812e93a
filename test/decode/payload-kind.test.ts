/**
 * Naming a flow by its first bytes: CQL frames built per the native protocol spec (v3-v5: version,
 * flags, stream, opcode, length) are named, SOCKS5 and random bytes that merely share a version
 * and an opcode byte are not, and SSL 2.0-format hellos count as TLS.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyPayload } from '../../src/decode/payload-kind.js';
import { sslv2ClientHello } from '../support/tls-edge-cases.js';

/** A CQL frame: version (0x80 set on responses), flags, stream, opcode, body length, body. */
function cqlFrame(version: number, opcode: number, body: Buffer, stream = 0, flags = 0): Buffer {
  const header = Buffer.alloc(9);
  header[0] = version;
  header[1] = flags;
  header.writeInt16BE(stream, 2);
  header[4] = opcode;
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

/** [string map] / [string multimap]: a count, then [string] keys and values (u16 length, bytes). */
function stringMap(entries: [string, string | string[]][]): Buffer {
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
  const parts: Buffer[] = [Buffer.from([0, entries.length])];
  for (const [k, v] of entries) parts.push(str(k), Array.isArray(v) ? Buffer.concat([Buffer.from([0, v.length]), ...v.map(str)]) : str(v));
  return Buffer.concat(parts);
}

const STARTUP = cqlFrame(0x04, 0x01, stringMap([['CQL_VERSION', '3.0.0'], ['DRIVER_NAME', 'DataStax Python Driver']]), 1);
const OPTIONS = cqlFrame(0x05, 0x05, Buffer.alloc(0));
const READY = cqlFrame(0x84, 0x02, Buffer.alloc(0), 1);
const SUPPORTED = cqlFrame(0x83, 0x06, stringMap([['CQL_VERSION', ['3.4.5']], ['COMPRESSION', ['snappy', 'lz4']]]));

describe('classifyPayload', () => {
  it('names the first CQL frames of either side, whole or cut at the 16 bytes analyze keeps', () => {
    for (const frame of [STARTUP, OPTIONS, READY, SUPPORTED]) {
      expect(classifyPayload(frame)).toBe('cassandra-cql');
      expect(classifyPayload(frame.subarray(0, 16))).toBe('cassandra-cql');
    }
  });

  it("does not name curl's SOCKS5 greeting and CONNECT request, nor other frames sharing CQL's first bytes", () => {
    // curl --socks5: greeting (version 5, two methods: none, GSSAPI), then CONNECT to 10.1.2.3:8080.
    expect(classifyPayload(Buffer.from('05020001050100010a0102031f90', 'hex'))).toBe('other');
    // --socks5-hostname: the request names the host; a single-method greeting.
    expect(classifyPayload(Buffer.from('050100050100030d6170692e6578616d706c6501bb', 'hex'))).toBe('other');
    // A CQL header whose length cannot be the frame's: OPTIONS with a body, STARTUP of 1 MiB.
    expect(classifyPayload(cqlFrame(0x04, 0x05, Buffer.alloc(4)))).toBe('other');
    expect(classifyPayload(Buffer.concat([STARTUP.subarray(0, 5), Buffer.from([0, 0x10, 0, 0]), STARTUP.subarray(9)]))).toBe('other');
    // A request opcode in a response frame, an undefined flag, a STARTUP map with no entries.
    expect(classifyPayload(cqlFrame(0x84, 0x01, stringMap([['CQL_VERSION', '3.0.0']])))).toBe('other');
    expect(classifyPayload(cqlFrame(0x04, 0x05, Buffer.alloc(0), 0, 0x40))).toBe('other');
    expect(classifyPayload(cqlFrame(0x04, 0x01, stringMap([])))).toBe('other');
  });

  it('takes an SSL 2.0-format ClientHello for TLS, not a high bit and a 1 alone', () => {
    expect(classifyPayload(sslv2ClientHello())).toBe('tls-handshake');
    expect(classifyPayload(Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02]))).toBe('tls-handshake');
    expect(classifyPayload(Buffer.from([0x80, 0x2e, 0x01, 0x07, 0x00]))).toBe('other');
    expect(classifyPayload(Buffer.from([0x80, 0x05, 0x01, 0x03, 0x01]))).toBe('other');
    // A CQL READY on stream 0x0103 starts like a hello (high bit, 1, version 3.2): it stays CQL.
    expect(classifyPayload(cqlFrame(0x83, 0x02, Buffer.alloc(0), 0x0103))).toBe('cassandra-cql');
  });

  it('on any bytes: names CQL only for a frame header whose every field fits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (a) => {
        const bytes = Buffer.from(a);
        const kind = classifyPayload(bytes);
        expect(['empty', 'tls-handshake', 'tls-alert', 'http', 'cassandra-cql', 'other']).toContain(kind);
        if (kind !== 'cassandra-cql') return;
        const response = (bytes[0] & 0x80) !== 0;
        expect(bytes[0] & 0x7f).toBeGreaterThanOrEqual(3);
        expect(bytes[0] & 0x7f).toBeLessThanOrEqual(5);
        expect(bytes[1] & 0xe0).toBe(0);
        expect(response ? [0x02, 0x06] : [0x01, 0x05]).toContain(bytes[4]);
        const length = bytes.readUInt32BE(5);
        if (bytes[4] === 0x02 || bytes[4] === 0x05) expect(length).toBe(0);
        else expect(length).toBeLessThanOrEqual(65536);
      }),
      { numRuns: 2000 },
    );
  });

  it('on CQL headers with random fields: names exactly the plausible ones', () => {
    const header = fc.record({
      version: fc.integer({ min: 0, max: 255 }),
      flags: fc.integer({ min: 0, max: 255 }),
      stream: fc.integer({ min: 0, max: 0xffff }),
      opcode: fc.constantFrom(0x01, 0x02, 0x05, 0x06, 0x07),
      length: fc.constantFrom(0, 2, 30, 4096, 4097, 65536, 1 << 20),
      entries: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(header, (h) => {
        const bytes = Buffer.alloc(11);
        bytes[0] = h.version;
        bytes[1] = h.flags;
        bytes.writeUInt16BE(h.stream, 2);
        bytes[4] = h.opcode;
        bytes.writeUInt32BE(h.length, 5);
        bytes.writeUInt16BE(h.entries, 9);
        const response = (h.version & 0x80) !== 0;
        const version = h.version & 0x7f;
        const empty = h.opcode === (response ? 0x02 : 0x05);
        const map = h.opcode === (response ? 0x06 : 0x01);
        const plausible =
          version >= 3 && version <= 5 && h.flags <= 0x1f && h.stream < 0x8000 &&
          ((empty && h.length === 0) || (map && h.length >= 2 && h.length <= (response ? 65536 : 4096) && h.entries >= 1 && h.entries <= 64));
        expect(classifyPayload(bytes) === 'cassandra-cql').toBe(plausible);
      }),
      { numRuns: 2000 },
    );
  });
});
