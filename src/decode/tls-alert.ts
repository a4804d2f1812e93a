/** A plaintext TLS alert record (one seen before encryption starts). */
export interface TlsAlert {
  /** 1 warning, 2 fatal. */
  readonly level: number;
  /** The AlertDescription code (RFC 8446 section 6). */
  readonly description: number;
}

const NAMES: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** "handshake_failure (40)", or "alert 199" for a code without a name. */
export function describeAlert(alert: TlsAlert): string {
  const name = NAMES[alert.description];
  return name === undefined ? `alert ${alert.description}` : `${name} (${alert.description})`;
}
