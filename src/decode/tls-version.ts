/** TLS protocol versions as reports name them, from the 16-bit codes on the wire. */
export type TlsVersion = '1.0' | '1.1' | '1.2' | '1.3';

export const TLS_1_2 = 0x0303;

/**
 * The name of a negotiated version code; undefined for SSL 3.0 (0x0300) and anything unknown.
 * Pre-standard TLS 1.3 drafts (0x7f00 | n) count as 1.3: their handshake is encrypted the same way.
 */
export function tlsVersionName(code: number): TlsVersion | undefined {
  switch (code) {
    case 0x0301:
      return '1.0';
    case 0x0302:
      return '1.1';
    case 0x0303:
      return '1.2';
    case 0x0304:
      return '1.3';
    default:
      return (code & 0xff00) === 0x7f00 ? '1.3' : undefined;
  }
}

/** True for the codes whose handshake after the ServerHello is encrypted (TLS 1.3 and its drafts). */
export function isTls13Code(code: number): boolean {
  return tlsVersionName(code) === '1.3';
}

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa, sent to keep peers tolerant; never real. */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && code >>> 8 === (code & 0xff);
}
