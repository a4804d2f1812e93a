import { InvalidArgumentError } from 'commander';
import type { ObservedSecurity } from '../audit/verdict.js';

/**
 * What `rules explain --security VALUE` stands for: each grade a capture can show (README,
 * "Security is proven from the wire"), and TLS of each version, with the details a handshake of
 * that grade gives, so that every verdict can be tried. SSL 3.0 is as analyze reports it: below
 * every rule's minTlsVersion (`weak-tls`).
 */
const GIVEN = new Map<string, ObservedSecurity>([
  ['plaintext', { grade: 'plaintext', detail: 'plaintext' }],
  ['tls', { grade: 'tls', detail: 'TLS (version not seen), client certificate not established' }],
  ['ssl3', { grade: 'tls', tlsVersion: 'ssl3.0', detail: 'SSL 3.0, client certificate not established' }],
  ['tls1.0', { grade: 'tls', tlsVersion: '1.0', detail: 'TLS 1.0, client certificate not established' }],
  ['tls1.1', { grade: 'tls', tlsVersion: '1.1', detail: 'TLS 1.1, client certificate not established' }],
  ['tls1.2', { grade: 'tls', tlsVersion: '1.2', detail: 'TLS 1.2, client certificate not established' }],
  ['tls1.3', { grade: 'tls', tlsVersion: '1.3', detail: 'TLS 1.3, client certificate not established' }],
  ['mtls-proven', { grade: 'mtls-proven', tlsVersion: '1.2', detail: 'TLS 1.2, client certificate sent' }],
  ['mtls-absent', { grade: 'mtls-absent', tlsVersion: '1.2', detail: 'TLS 1.2, client sent no certificate' }],
  ['mtls-unverifiable', { grade: 'mtls-unverifiable', tlsVersion: '1.3', detail: 'TLS 1.3, client certificates encrypted' }],
  ['unknown', { grade: 'unknown', detail: 'no payload captured' }],
]);

export const SECURITY_VALUES: readonly string[] = [...GIVEN.keys()];

/** What a flow shows when `--security` is not given. */
export const UNKNOWN_SECURITY = GIVEN.get('unknown')!;

/** commander parser for `--security`. */
export function parseSecurity(value: string): ObservedSecurity {
  const security = GIVEN.get(value.toLowerCase());
  if (security === undefined) throw new InvalidArgumentError(`expected one of ${SECURITY_VALUES.join(', ')}`);
  return security;
}
