/**
 * proto/flowaudit.proto loaded with protobufjs: how tests, fakes of the loader and benches write
 * the loader's events, and the reference the hand-written reader (loader-event-reader.ts) is
 * tested against. The .proto sits two directories above this module both in src/engine and in
 * the bundle (dist/bin), so one path serves both.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/flowaudit.proto', import.meta.url));

let eventType: protobuf.Type | undefined;

/** The flowaudit.loader.Event message type (the schema is parsed once). */
export function loaderEventType(): protobuf.Type {
  eventType ??= protobuf.loadSync(PROTO_PATH).lookupType('flowaudit.loader.Event');
  return eventType;
}
