import type { HandshakeStream } from './tls-records.js';
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

/** The shortfall when a handshake stream holds no (further) message where `what` was expected. */
export function streamShortfall(stream: HandshakeStream, at: number, what: string): Shortfall {
  if (stream.end === 'malformed') return { kind: 'malformed', what, problem: stream.problem ?? 'bad record header' };
  if (stream.bytes.length > at || stream.cutInRecord) return { kind: 'cut-inside', what };
  switch (stream.end) {
    case 'bytes':
      return { kind: 'cut-before', what };
    case 'change-cipher-spec':
      return { kind: 'ended', what, by: 'ChangeCipherSpec' };
    case 'alert':
      return { kind: 'ended', what, by: stream.alert === undefined ? 'an alert' : `alert ${describeAlert(stream.alert)}` };
    case 'application-data':
      return { kind: 'ended', what, by: 'encrypted records' };
    case 'heartbeat':
      return { kind: 'ended', what, by: 'a heartbeat record' };
  }
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
