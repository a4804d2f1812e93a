/**
 * The bytes the TLS and DNS parsers read: the first bytes of one flow direction and why they end
 * where they do. `StreamStop` repeats the flow table's `PayloadStop` values (src/flow/flow-record.ts)
 * so this layer does not depend on the flow layer; a `FlowDirection` is a `DirectionBytes` as is.
 */
export type StreamStop = 'end' | 'limit' | 'gap' | 'snaplen' | 'datagram' | 'budget' | 'tls-data';

export interface DirectionBytes {
  readonly payload: Buffer;
  readonly payloadStop: StreamStop;
}

const STOP_PHRASES: Record<StreamStop, string> = {
  end: 'no more bytes seen',
  limit: 'payload limit',
  gap: 'missing segment (gap)',
  snaplen: 'capture snaplen',
  datagram: 'first datagram only',
  budget: 'payload buffer budget spent',
  'tls-data': 'handshake over: application data follows',
};

export function stopPhrase(stop: StreamStop): string {
  return STOP_PHRASES[stop];
}

/** "ClientHello truncated at 512 bytes (payload limit)": the bytes end inside `what`. */
export function cutInside(what: string, bytes: number, stop: StreamStop): string {
  return `${what} truncated at ${bytes} bytes (${stopPhrase(stop)})`;
}

/** "missing segment (gap) before the ServerHello": the bytes end before `what` begins. */
export function cutBefore(what: string, side: 'client' | 'server', bytes: number, stop: StreamStop): string {
  if (stop === 'gap') return `missing segment (gap) before the ${what}`;
  if (bytes === 0 && stop === 'end') return `no ${what}: the ${side} sent no payload`;
  return `no ${what}: the ${side}'s bytes end at ${bytes} (${stopPhrase(stop)})`;
}
