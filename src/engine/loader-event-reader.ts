/**
 * One Event of proto/flowaudit.proto read by hand into a LoaderEvent, straight from its bytes:
 * no intermediate message object and no toObject() (protobufjs' way took 3-4 µs an event and
 * this one is the agent's cost per new flow; bench/loader-decode.mjs). It follows the schema
 * field by field as protobuf decoders do: fields in any order, absent ones at their defaults,
 * unknown fields (a later schema's) skipped, a field given twice at its last value (messages are
 * not merged: the loader never repeats one), the last of the oneof's fields winning. It
 * is tested against protobufjs on the schema (test/engine/loader-event-reader.test.ts).
 * What the schema rules out (an address of 7 bytes, an unknown enum value) throws
 * LoaderSchemaError; bytes that are not protobuf throw ProtobufWireError.
 */
import { AddressTexts } from '../flow/address-texts.js';
import type { LoaderCounters, LoaderDirectionCounters, LoaderEndpoint, LoaderEvent, LoaderFlow, LoaderFlowEnd, LoaderFlowKey, LoaderHello, LoaderInterface, LoaderPayload, LoaderSide } from './loader-events.js';
import { ProtobufReader, ProtobufWireError, WireType } from './protobuf-reader.js';

/** A well-formed message that breaks the schema's promises (an address of 7 bytes, no kind). */
export class LoaderSchemaError extends Error {}

const SIDES: readonly LoaderSide[] = [null, 'a', 'b'];
const ENDS: readonly LoaderFlowEnd[] = ['live', 'idle', 'evicted', 'stop', 'interface-gone', 'closed'];

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads the loader's events; one per stream decoder (it keeps a reader and address words to reuse). */
export class LoaderEventReader {
  private readonly r = new ProtobufReader();
  private readonly words = new Int32Array(4);
  /**
   * One string per IPv4 address while it stays in use: an event's two texts are looked up, not
   * built (two strings an event), and the mapper sees the same string again for the same address.
   */
  private readonly texts = new AddressTexts();

  /** The Event in buf[start..end) (one whole message). */
  read(buf: Buffer, start: number, end: number): LoaderEvent {
    const r = this.r;
    r.reset(buf, start);
    let event: LoaderEvent | undefined;
    while (r.pos < end) {
      const tag = r.tag(end);
      const field = tag >>> 3;
      if (field > 6 || (tag & 7) !== WireType.LengthDelimited) {
        this.unknown(tag, 7, end);
        continue;
      }
      const to = r.delimitedEnd(end);
      if (field === 1) event = this.hello(to);
      else if (field === 2) event = this.flow(to);
      else if (field === 3) event = this.payload(to);
      else if (field === 4) event = this.counters(to);
      else if (field === 5) event = this.interfaceChange(to);
      else event = { kind: 'error', message: this.error(to) };
    }
    if (event === undefined) throw new LoaderSchemaError('event of no known kind');
    return event;
  }

  private hello(end: number): LoaderHello {
    const r = this.r;
    const h: Writable<LoaderHello> = { kind: 'hello', schemaVersion: 0, attachMode: '', maxFlows: 0, ringBytes: 0, payloadLimit: 0 };
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.Varint: h.schemaVersion = r.varint32(end); break;
        case (2 << 3) | WireType.LengthDelimited: h.attachMode = r.string(end); break;
        case (3 << 3) | WireType.Varint: h.maxFlows = r.varint32(end); break;
        case (4 << 3) | WireType.Varint: h.ringBytes = r.varint32(end); break;
        case (5 << 3) | WireType.Varint: h.payloadLimit = r.varint32(end); break;
        default: this.unknown(tag, 6, end);
      }
    }
    return h;
  }

  private flow(end: number): LoaderFlow {
    const r = this.r;
    let key: LoaderFlowKey | undefined;
    let aToB = NO_PACKETS;
    let bToA = NO_PACKETS;
    let synSide = 0;
    let synAckSide = 0;
    let firstUs = 0;
    let lastUs = 0;
    let ifIndex = 0;
    let flowEnd = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.LengthDelimited: key = this.key(r.delimitedEnd(end)); break;
        case (2 << 3) | WireType.LengthDelimited: aToB = this.direction(r.delimitedEnd(end)); break;
        case (3 << 3) | WireType.LengthDelimited: bToA = this.direction(r.delimitedEnd(end)); break;
        case (4 << 3) | WireType.Varint: synSide = r.varint32(end) | 0; break;
        case (5 << 3) | WireType.Varint: synAckSide = r.varint32(end) | 0; break;
        case (6 << 3) | WireType.Varint: firstUs = r.microseconds(end); break;
        case (7 << 3) | WireType.Varint: lastUs = r.microseconds(end); break;
        case (8 << 3) | WireType.Varint: ifIndex = r.varint32(end); break;
        case (9 << 3) | WireType.Varint: flowEnd = r.varint32(end) | 0; break;
        default: this.unknown(tag, 10, end);
      }
    }
    return {
      kind: 'flow',
      key: required(key),
      aToB,
      bToA,
      synSide: enumValue(SIDES, synSide, 'syn_side'),
      synAckSide: enumValue(SIDES, synAckSide, 'syn_ack_side'),
      // Unix microseconds to seconds, as captures have them.
      firstSeen: firstUs / 1e6,
      lastSeen: lastUs / 1e6,
      ifIndex,
      end: enumValue(ENDS, flowEnd, 'end'),
    };
  }

  private payload(end: number): LoaderPayload {
    const r = this.r;
    let key: LoaderFlowKey | undefined;
    let bToA = false;
    let offset = 0;
    let data: Uint8Array = NO_DATA;
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.LengthDelimited: key = this.key(r.delimitedEnd(end)); break;
        case (2 << 3) | WireType.Varint: bToA = r.varint32(end) !== 0 || r.hi !== 0; break;
        case (3 << 3) | WireType.Varint: offset = r.varint32(end); break;
        case (4 << 3) | WireType.LengthDelimited: data = r.bytes(end); break;
        default: this.unknown(tag, 5, end);
      }
    }
    return { kind: 'payload', key: required(key), bToA, offset, data };
  }

  private key(end: number): LoaderFlowKey {
    const r = this.r;
    let ipVersion = 0;
    let protocol = 0;
    // Where each address's bytes are, and how many (read in place: no view made).
    let addressA = 0;
    let lengthA = 0;
    let addressB = 0;
    let lengthB = 0;
    let portA = 0;
    let portB = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.Varint: ipVersion = r.varint32(end); break;
        case (2 << 3) | WireType.Varint: protocol = r.varint32(end); break;
        case (3 << 3) | WireType.LengthDelimited:
          lengthA = r.delimitedEnd(end) - r.pos;
          addressA = r.pos;
          r.pos += lengthA;
          break;
        case (4 << 3) | WireType.LengthDelimited:
          lengthB = r.delimitedEnd(end) - r.pos;
          addressB = r.pos;
          r.pos += lengthB;
          break;
        case (5 << 3) | WireType.Varint: portA = r.varint32(end); break;
        case (6 << 3) | WireType.Varint: portB = r.varint32(end); break;
        default: this.unknown(tag, 7, end);
      }
    }
    if (ipVersion !== 4 && ipVersion !== 6) throw new LoaderSchemaError(`flow key IP version ${ipVersion}`);
    return {
      ipVersion,
      protocol: protocol & 0xff,
      a: this.endpoint(addressA, lengthA, portA, ipVersion, 'a'),
      b: this.endpoint(addressB, lengthB, portB, ipVersion, 'b'),
    };
  }

  /** The address whose `length` bytes are at `at`, as text. */
  private endpoint(at: number, length: number, port: number, ipVersion: 4 | 6, side: 'a' | 'b'): LoaderEndpoint {
    const expected = ipVersion === 4 ? 4 : 16;
    if (length !== expected) throw new LoaderSchemaError(`address_${side} has ${length} bytes, IPv${ipVersion} needs ${expected}`);
    if (port > 0xffff) throw new LoaderSchemaError(`port_${side} ${port} is not a port`);
    const w = this.words;
    if (ipVersion === 4) {
      w[0] = 0;
      w[1] = 0;
      w[2] = 0xffff;
      w[3] = this.r.word(at);
    } else for (let i = 0; i < 4; i++) w[i] = this.r.word(at + 4 * i);
    return { address: this.texts.text(w, 0), port };
  }

  private direction(end: number): LoaderDirectionCounters {
    const r = this.r;
    const d: Writable<LoaderDirectionCounters> = { packets: 0, bytes: 0, tcpFlags: 0 };
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.Varint: d.packets = r.uint64(end); break;
        case (2 << 3) | WireType.Varint: d.bytes = r.uint64(end); break;
        case (3 << 3) | WireType.Varint: d.tcpFlags = r.varint32(end); break;
        default: this.unknown(tag, 4, end);
      }
    }
    return d;
  }

  private counters(end: number): LoaderCounters {
    const r = this.r;
    // Field numbers 1..14 in the schema's order.
    const values = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    while (r.pos < end) {
      const tag = r.tag(end);
      const field = tag >>> 3;
      if (field <= 14 && (tag & 7) === WireType.Varint) values[field - 1] = r.uint64(end);
      else this.unknown(tag, 15, end);
    }
    const [packets, duplicateHook, ringReserveFailed, mapFull, evicted, notIp, truncated, fragments, fragmentWithoutFirst, tooManyExtHeaders, reusedTuples, reuseNotSplit, lateAfterClose, mapEntries] = values;
    return {
      kind: 'counters', packets, duplicateHook, ringReserveFailed, mapFull, evicted, notIp, truncated, fragments, fragmentWithoutFirst, tooManyExtHeaders, reusedTuples, reuseNotSplit, lateAfterClose, mapEntries,
    };
  }

  private interfaceChange(end: number): LoaderInterface {
    const r = this.r;
    const i: Writable<LoaderInterface> = { kind: 'interface', ifIndex: 0, name: '', attached: false, mode: '' };
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag) {
        case (1 << 3) | WireType.Varint: i.ifIndex = r.varint32(end); break;
        case (2 << 3) | WireType.LengthDelimited: i.name = r.string(end); break;
        case (3 << 3) | WireType.Varint: i.attached = r.varint32(end) !== 0 || r.hi !== 0; break;
        case (4 << 3) | WireType.LengthDelimited: i.mode = r.string(end); break;
        default: this.unknown(tag, 5, end);
      }
    }
    return i;
  }

  private error(end: number): string {
    const r = this.r;
    let message = '';
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === ((1 << 3) | WireType.LengthDelimited)) message = r.string(end);
      else this.unknown(tag, 2, end);
    }
    return message;
  }

  /**
   * A field the switch did not take: one of a later schema (number `firstUnknown` or above) is
   * skipped; a known number with another wire type is not this schema's message.
   */
  private unknown(tag: number, firstUnknown: number, end: number): void {
    if (tag >>> 3 < firstUnknown) throw new ProtobufWireError(`field ${tag >>> 3} has wire type ${tag & 7}, not the schema's`);
    this.r.skip(tag & 7, end);
  }
}

const NO_DATA = new Uint8Array(0);
const NO_PACKETS: LoaderDirectionCounters = { packets: 0, bytes: 0, tcpFlags: 0 };

function required(key: LoaderFlowKey | undefined): LoaderFlowKey {
  if (key === undefined) throw new LoaderSchemaError('flow key missing');
  return key;
}

function enumValue<T>(values: readonly T[], value: number, field: string): T {
  if (value < 0 || value >= values.length) throw new LoaderSchemaError(`${field} ${value} is not known`);
  return values[value];
}
