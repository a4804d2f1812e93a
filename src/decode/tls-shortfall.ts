import type { HandshakeReader } from './tls-records.js';
import { describeAlert } from './tls-alert.js';
import { cutBefore, cutInside, type DirectionBytes } from './tls-stream-stop.js';

/**
 * Why a direction's readable handshake ended before a message the evidence needs: the captured
 * bytes ended inside it or before it, the bytes were not a valid handshake, or the plaintext
 * handshake ended (ChangeCipherSpec, an alert, encrypted records) before it came.
 */
export type Shortfall =
  | { readonly kind: 'cut-inside'; readonly what: string }
  | { readonly kind: 'cut-before'; readonly what: string }
  | { readonly kind: 'malformed'; readonly what: string; readonly problem: string }
  | { readonly kind: 'ended'; readonly what: string; readonly by: string };

/** The shortfall when a reader holds no (further) message where `what` was expected. */
export function streamShortfall(reader: HandshakeReader, what: string): Shortfall {
  if (reader.end === 'malformed') return { kind: 'malformed', what, problem: reader.problem ?? 'bad record header' };
  if (reader.cutInRecord) return { kind: 'cut-inside', what };
  switch (reader.end) {
    case 'bytes':
      return { kind: 'cut-before', what };
    case 'change-cipher-spec':
      return { kind: 'ended', what, by: 'ChangeCipherSpec' };
    case 'alert':
      return { kind: 'ended', what, by: reader.alert === undefined ? 'an alert' : `alert ${describeAlert(reader.alert)}` };
    case 'application-data':
      return { kind: 'ended', what, by: 'encrypted records' };
    case 'heartbeat':
      return { kind: 'ended', what, by: 'a heartbeat record' };
  }
}

/** The shortfall for the reader's current message, cut short: by the capture, or by another record (damage). */
export function cutMessageShortfall(reader: HandshakeReader, what: string): Shortfall {
  if (!reader.interrupted) return { kind: 'cut-inside', what };
  return { kind: 'malformed', what, problem: reader.end === 'malformed' ? (reader.problem ?? 'bad record header') : `interrupted by a ${reader.end} record` };
}

/** One line for a report: "ClientHello truncated at 512 bytes (payload limit)". */
export function describeShortfall(s: Shortfall, side: 'client' | 'server', bytes: DirectionBytes): string {
  switch (s.kind) {
    case 'cut-inside':
      return cutInside(s.what, bytes.payload.length, bytes.payloadStop);
    case 'cut-before':
      return cutBefore(s.what, side, bytes.payload.length, bytes.payloadStop);
    case 'malformed':
      return `malformed ${s.what}: ${s.problem}`;
    case 'ended':
      return `no ${s.what}: the ${side}'s plaintext handshake ended with ${s.by}`;
  }
}
