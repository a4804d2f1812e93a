/** Handshake message types (RFC 8446 section 4, RFC 5246 section 7.4). */
export const HandshakeType = {
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
  CertificateStatus: 22,
} as const;

const NAMES: Record<number, string> = {
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  22: 'CertificateStatus',
};

export function handshakeTypeName(type: number): string {
  return NAMES[type] ?? `handshake message type ${type}`;
}

/** One handshake message header and where its body lies in the handshake stream. */
export interface HandshakeMessage {
  readonly type: number;
  /** Offset of the body (after the 4-byte header). */
  readonly bodyStart: number;
  /** Where the body ends by its declared length (may lie beyond the captured bytes). */
  readonly declaredEnd: number;
  /** Where the captured body ends: min(declaredEnd, stream length). */
  readonly availableEnd: number;
}

/** The message at `stream[at..]`, or undefined when fewer than its 4 header bytes remain. */
export function readHandshakeMessage(stream: Buffer, at: number): HandshakeMessage | undefined {
  if (stream.length - at < 4) return undefined;
  const bodyStart = at + 4;
  const declaredEnd = bodyStart + ((stream[at + 1] << 16) | (stream[at + 2] << 8) | stream[at + 3]);
  return { type: stream[at], bodyStart, declaredEnd, availableEnd: Math.min(declaredEnd, stream.length) };
}

export function isComplete(message: HandshakeMessage): boolean {
  return message.availableEnd === message.declaredEnd;
}
