/**
 * proto/flowaudit.proto, loaded with protobufjs, and the conversion of one decoded Event into a
 * LoaderEvent. The .proto sits two directories above this module both in src/engine and in the
 * bundle (dist/bin), so one path serves tests and the CLI.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { formatAddress } from '../net/ip-address.js';
import type { LoaderDirectionCounters, LoaderEvent, LoaderFlowEnd, LoaderFlowKey, LoaderSide } from './loader-events.js';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/flowaudit.proto', import.meta.url));

let eventType: protobuf.Type | undefined;

/** The flowaudit.loader.Event message type (the schema is parsed once). */
export function loaderEventType(): protobuf.Type {
  eventType ??= protobuf.loadSync(PROTO_PATH).lookupType('flowaudit.loader.Event');
  return eventType;
}

/** A decoded message that breaks the schema's promises (an address of 7 bytes, no kind). */
export class LoaderSchemaError extends Error {}

const SIDES: readonly LoaderSide[] = [null, 'a', 'b'];
const ENDS: readonly LoaderFlowEnd[] = ['live', 'idle', 'evicted', 'stop', 'interface-gone'];

/* protobufjs' toObject() output: plain values, 64-bit integers as decimal strings, enums as numbers. */
type Plain = Record<string, any>;

function address(bytes: Uint8Array, ipVersion: number, field: string): string {
  const expected = ipVersion === 4 ? 4 : 16;
  if (bytes.length !== expected) throw new LoaderSchemaError(`${field} has ${bytes.length} bytes, IPv${ipVersion} needs ${expected}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = ipVersion === 4 ? [0, 0, 0xffff, view.getUint32(0)] : [0, 4, 8, 12].map((at) => view.getUint32(at));
  return formatAddress(words);
}

function port(value: number, field: string): number {
  if (value > 0xffff) throw new LoaderSchemaError(`${field} ${value} is not a port`);
  return value;
}

function flowKey(key: Plain | undefined | null): LoaderFlowKey {
  if (!key) throw new LoaderSchemaError('flow key missing');
  const ipVersion = key.ipVersion;
  if (ipVersion !== 4 && ipVersion !== 6) throw new LoaderSchemaError(`flow key IP version ${ipVersion}`);
  return {
    ipVersion,
    protocol: key.protocol & 0xff,
    a: { address: address(key.addressA, ipVersion, 'address_a'), port: port(key.portA, 'port_a') },
    b: { address: address(key.addressB, ipVersion, 'address_b'), port: port(key.portB, 'port_b') },
  };
}

function direction(d: Plain | undefined | null): LoaderDirectionCounters {
  return { packets: Number(d?.packets ?? 0), bytes: Number(d?.bytes ?? 0), tcpFlags: d?.tcpFlags ?? 0 };
}

/** Unix nanoseconds (past 2^53: a Number would lose them) to seconds with microseconds, as captures have. */
function seconds(ns: string): number {
  return Number(BigInt(ns) / 1000n) / 1e6;
}

function enumValue<T>(values: readonly T[], value: number, field: string): T {
  if (value < 0 || value >= values.length) throw new LoaderSchemaError(`${field} ${value} is not known`);
  return values[value];
}

/** One decoded Event as a LoaderEvent; throws LoaderSchemaError for what the schema rules out. */
export function toLoaderEvent(message: protobuf.Message): LoaderEvent {
  const e: Plain = loaderEventType().toObject(message, { longs: String, enums: Number, defaults: true, oneofs: true });
  switch (e.kind) {
    case 'hello':
      return {
        kind: 'hello',
        schemaVersion: e.hello.schemaVersion,
        attachMode: e.hello.attachMode,
        maxFlows: e.hello.maxFlows,
        ringBytes: e.hello.ringBytes,
        payloadLimit: e.hello.payloadLimit,
      };
    case 'flow': {
      const f = e.flow;
      return {
        kind: 'flow',
        key: flowKey(f.key),
        aToB: direction(f.aToB),
        bToA: direction(f.bToA),
        synSide: enumValue(SIDES, f.synSide, 'syn_side'),
        synAckSide: enumValue(SIDES, f.synAckSide, 'syn_ack_side'),
        firstSeen: seconds(f.firstNs),
        lastSeen: seconds(f.lastNs),
        ifIndex: f.ifIndex,
        end: enumValue(ENDS, f.end, 'end'),
      };
    }
    case 'payload':
      return { kind: 'payload', key: flowKey(e.payload.key), bToA: e.payload.bToA, offset: e.payload.offset, data: e.payload.data };
    case 'counters': {
      const c = e.counters;
      return {
        kind: 'counters',
        packets: Number(c.packets),
        duplicateHook: Number(c.duplicateHook),
        ringReserveFailed: Number(c.ringReserveFailed),
        mapFull: Number(c.mapFull),
        evicted: Number(c.evicted),
        notIp: Number(c.notIp),
        truncated: Number(c.truncated),
        fragments: Number(c.fragments),
        fragmentWithoutFirst: Number(c.fragmentWithoutFirst),
        tooManyExtHeaders: Number(c.tooManyExtHeaders),
      };
    }
    case 'interface':
      return { kind: 'interface', ifIndex: e.interface.ifIndex, name: e.interface.name, attached: e.interface.attached, mode: e.interface.mode };
    case 'error':
      return { kind: 'error', message: e.error.message };
    default:
      throw new LoaderSchemaError('event of no known kind');
  }
}
