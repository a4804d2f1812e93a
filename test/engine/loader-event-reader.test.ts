/**
 * LoaderEventReader (the hand-written reader of proto/flowaudit.proto's Event) against protobufjs
 * on the same schema: random events of every kind written by protobufjs read back to what
 * protobufjs itself decodes; the real loader's recorded streams likewise; fields of a later
 * schema skipped; and bytes that are not the schema's message refused with one clear error of
 * one of its two kinds, whatever the bytes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/net/ip-address.js';
import type { LoaderEvent } from '../../src/engine/loader-events.js';
import { LoaderEventReader, LoaderSchemaError } from '../../src/engine/loader-event-reader.js';
import { loaderEventType, PROTO_PATH } from '../../src/engine/loader-schema.js';
import { ProtobufWireError } from '../../src/engine/protobuf-reader.js';

const type = loaderEventType();
const FIXTURES = ['pods.stream', 'mapped.stream'].map((f) => readFileSync(fileURLToPath(new URL(`../fixtures/loader/${f}`, import.meta.url))));

function read(bytes: Uint8Array): LoaderEvent {
  const buf = Buffer.from(bytes);
  return comparable(new LoaderEventReader().read(buf, 0, buf.length));
}

/** A payload's bytes as hex: the reader gives a view of the stream, protobufjs a copy. */
function comparable(e: LoaderEvent): LoaderEvent {
  return e.kind === 'payload' ? ({ ...e, data: Buffer.from(e.data).toString('hex') } as never) : e;
}

/* The oracle: protobufjs' decode and toObject, then the schema's meaning of each field. */
type Plain = Record<string, any>;
const SIDES = [null, 'a', 'b'];
const ENDS = ['live', 'idle', 'evicted', 'stop', 'interface-gone', 'closed'];

function viaProtobufjs(bytes: Uint8Array): LoaderEvent {
  return comparable(protobufjsEvent(bytes));
}

function protobufjsEvent(bytes: Uint8Array): LoaderEvent {
  const e: Plain = type.toObject(type.decode(bytes), { longs: String, enums: Number, defaults: true, oneofs: true });
  const address = (b: Uint8Array) => {
    const words = b.length === 4 ? [0, 0, 0xffff, Buffer.from(b).readUInt32BE(0)] : [0, 4, 8, 12].map((at) => Buffer.from(b).readUInt32BE(at));
    return formatAddress(words);
  };
  const key = (k: Plain) => ({ ipVersion: k.ipVersion, protocol: k.protocol & 0xff, a: { address: address(k.addressA), port: k.portA }, b: { address: address(k.addressB), port: k.portB } });
  const direction = (d: Plain | null) => ({ packets: Number(d?.packets ?? 0), bytes: Number(d?.bytes ?? 0), tcpFlags: d?.tcpFlags ?? 0 });
  const seconds = (ns: string) => Number(BigInt(ns) / 1000n) / 1e6;
  switch (e.kind) {
    case 'hello':
      return { kind: 'hello', ...e.hello };
    case 'flow': {
      const f = e.flow;
      return {
        kind: 'flow', key: key(f.key), aToB: direction(f.aToB), bToA: direction(f.bToA), synSide: SIDES[f.synSide] as never, synAckSide: SIDES[f.synAckSide] as never,
        firstSeen: seconds(f.firstNs), lastSeen: seconds(f.lastNs), ifIndex: f.ifIndex, end: ENDS[f.end] as never,
      };
    }
    case 'payload':
      return { kind: 'payload', key: key(e.payload.key), bToA: e.payload.bToA, offset: e.payload.offset, data: e.payload.data };
    case 'counters':
      return { kind: 'counters', ...Object.fromEntries(Object.entries(e.counters).map(([k, v]) => [k, Number(v)])) } as LoaderEvent;
    case 'interface':
      return { kind: 'interface', ...e.interface };
    default:
      return { kind: 'error', ...e.error };
  }
}

/* Random events of every kind, within the schema's promises. */
const u32 = fc.nat({ max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const counter = fc.maxSafeNat();
const key = fc.oneof(
  fc.record({ ipVersion: fc.constant(4), addressA: fc.uint8Array({ minLength: 4, maxLength: 4 }), addressB: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
  fc.record({ ipVersion: fc.constant(6), addressA: fc.uint8Array({ minLength: 16, maxLength: 16 }), addressB: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
).chain((k) => fc.record({ ...Object.fromEntries(Object.entries(k).map(([n, v]) => [n, fc.constant(v)])), protocol: fc.nat({ max: 255 }), portA: fc.nat({ max: 0xffff }), portB: fc.nat({ max: 0xffff }) }));
const direction = fc.record({ packets: counter, bytes: counter, tcpFlags: fc.nat({ max: 0xff }) }, { requiredKeys: [] });
const text = fc.string({ maxLength: 40 });
const EVENT = fc.oneof(
  fc.record({ hello: fc.record({ schemaVersion: u32, attachMode: text, maxFlows: u32, ringBytes: u32, payloadLimit: u32 }, { requiredKeys: [] }) }),
  fc.record({
    flow: fc.record(
      { key, aToB: direction, bToA: direction, synSide: fc.nat({ max: 2 }), synAckSide: fc.nat({ max: 2 }), firstNs: u64, lastNs: u64, ifIndex: u32, end: fc.nat({ max: 5 }) },
      { requiredKeys: ['key'] },
    ),
  }),
  fc.record({ payload: fc.record({ key, bToA: fc.boolean(), offset: u32, data: fc.uint8Array({ maxLength: 4096 }) }, { requiredKeys: ['key'] }) }),
  fc.record({
    counters: fc.record(
      { packets: counter, duplicateHook: counter, ringReserveFailed: counter, mapFull: counter, evicted: counter, notIp: counter, truncated: counter, fragments: counter, fragmentWithoutFirst: counter, tooManyExtHeaders: counter,
        reusedTuples: counter, reuseNotSplit: counter, lateAfterClose: counter, mapEntries: counter },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ interface: fc.record({ ifIndex: u32, name: text, attached: fc.boolean(), mode: text }, { requiredKeys: [] }) }),
  fc.record({ error: fc.record({ message: text }, { requiredKeys: [] }) }),
);
const encode = (event: Plain) => type.encode(type.fromObject(event)).finish();

describe('events protobufjs writes', () => {
  it('read as protobufjs reads them, every kind and field (random events)', () => {
    fc.assert(
      fc.property(EVENT, (event) => {
        const bytes = encode(event);
        expect(read(bytes)).toEqual(viaProtobufjs(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('the real loader\'s recorded streams read as protobufjs reads them, event by event', () => {
    let events = 0;
    for (const stream of FIXTURES) {
      const reader = protobuf.Reader.create(stream);
      while (reader.pos < reader.len) {
        const length = reader.uint32();
        const bytes = stream.subarray(reader.pos, reader.pos + length);
        reader.skip(length);
        expect(read(bytes)).toEqual(viaProtobufjs(bytes));
        events++;
      }
    }
    expect(events).toBeGreaterThan(50);
  });

  it('Unix nanoseconds past 2^53 to seconds with their microseconds exact', () => {
    const bytes = encode({ flow: { key: { ipVersion: 4, addressA: [10, 0, 0, 1], addressB: [10, 0, 0, 2] }, firstNs: '1795398684575554999', lastNs: '18446744073709551615' } });
    expect(read(bytes)).toMatchObject({ firstSeen: 1795398684.575554, lastSeen: Number(18446744073709551n) / 1e6 });
  });

  it('skips fields of a later schema, of every wire type, in every message', () => {
    const json = protobuf.loadSync(PROTO_PATH).toJSON() as Plain;
    const messages = json.nested.flowaudit.nested.loader.nested;
    const later = { laterVarint: { type: 'uint64', id: 30 }, laterBytes: { type: 'bytes', id: 31 }, laterFixed32: { type: 'fixed32', id: 32 }, laterFixed64: { type: 'fixed64', id: 33 } };
    for (const m of Object.values(messages) as Plain[]) if (m.fields) Object.assign(m.fields, later);
    const laterType = protobuf.Root.fromJSON(json).lookupType('flowaudit.loader.Event');
    const laterValues = fc.record({ laterVarint: u64, laterBytes: fc.uint8Array({ maxLength: 20 }), laterFixed32: u32, laterFixed64: u64 });
    fc.assert(
      fc.property(EVENT, laterValues, (event, values) => {
        const kind = Object.keys(event)[0];
        const withLater: Plain = { ...values, [kind]: { ...(event as Plain)[kind], ...values } };
        if ((event as Plain)[kind].key) withLater[kind].key = { ...(event as Plain)[kind].key, ...values };
        const bytes = laterType.encode(laterType.fromObject(withLater)).finish();
        expect(bytes.length).toBeGreaterThan(encode(event).length);
        expect(read(bytes)).toEqual(viaProtobufjs(encode(event)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('bytes that are not the schema\'s Event', () => {
  const FLOW_KEY = { ipVersion: 4, protocol: 6, addressA: [10, 0, 0, 1], addressB: [10, 0, 0, 2], portA: 41000, portB: 443 };
  const cases: [string, Uint8Array, string][] = [
    ['an empty event', new Uint8Array(0), 'event of no known kind'],
    ['a known field with another wire type', Uint8Array.of(0x10, 0x01), 'field 2 has wire type 0, not the schema\'s'],
    ['field number 0', Uint8Array.of(0x02, 0x00), 'field number 0 at byte 0'],
    ['a varint of 11 bytes', Uint8Array.of(0xf8, 0x01, ...Array(10).fill(0xff), 0x01), 'varint longer than 10 bytes at byte 2'],
    ['a varint cut by the end', Uint8Array.of(0xf0, 0x01, 0x80), 'varint runs past the end of its message (byte 3)'],
    ['a length past the end', Uint8Array.of(0x12, 0x05, 0x08), 'a field of 5 bytes runs past the end of its message (byte 2)'],
    ['a group', Uint8Array.of(0xfb, 0x01), 'wire type 3 at byte 1 (groups and unassigned types are not read)'],
    ['a fixed64 cut by the end', Uint8Array.of(0xf9, 0x01, 1, 2, 3), 'a fixed field runs past the end of its message (byte 2)'],
    ['a flow without key', encode({ flow: { ifIndex: 3 } }), 'flow key missing'],
    ['an IP version 5', encode({ payload: { key: { ...FLOW_KEY, ipVersion: 5 } } }), 'flow key IP version 5'],
    ['IPv6 with 4-byte addresses', encode({ payload: { key: { ...FLOW_KEY, ipVersion: 6 } } }), 'address_a has 4 bytes, IPv6 needs 16'],
    ['a port of 70000', encode({ payload: { key: { ...FLOW_KEY, portB: 70000 } } }), 'port_b 70000 is not a port'],
    ['an unknown side', encode({ flow: { key: FLOW_KEY, synAckSide: 3 } }), 'syn_ack_side 3 is not known'],
    ['a negative end', encode({ flow: { key: FLOW_KEY, end: -1 } }), 'end -1 is not known'],
  ];
  it.each(cases)('%s: one clear error', (_, bytes, message) => {
    expect(() => read(bytes)).toThrow(message);
    // Read where it lies in a stream, after other bytes: the error names the same byte of the event.
    const inStream = Buffer.concat([Buffer.alloc(7, 0xaa), bytes]);
    expect(() => new LoaderEventReader().read(inStream, 7, inStream.length)).toThrow(message);
  });

  it('random bytes and damaged events: an event or one of the two errors, never another throw', () => {
    const damaged = fc.tuple(EVENT, fc.nat(), fc.nat({ max: 255 })).map(([event, at, byte]) => {
      const bytes = Buffer.from(encode(event));
      if (bytes.length > 0) bytes[at % bytes.length] = byte;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), damaged), (bytes) => {
        try {
          read(bytes);
        } catch (err) {
          expect(err instanceof ProtobufWireError || err instanceof LoaderSchemaError, String(err)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
