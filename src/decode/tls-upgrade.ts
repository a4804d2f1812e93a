/**
 * Connections that start in plaintext and then switch to TLS on the same stream: PostgreSQL's
 * SSLRequest, STARTTLS in SMTP, IMAP, POP3, LDAP and XMPP, FTP AUTH TLS, MySQL's SSL request, and
 * proxies (HTTP CONNECT, SOCKS4, SOCKS5) before a TLS handshake. Each protocol's grammar lives in
 * upgrade-text-protocols.ts or upgrade-binary-protocols.ts; this file says what came of it.
 * Never throws; every loop is bounded by the input.
 */
import { ldapUpgrade, mysqlUpgrade, postgresUpgrade, socks4Upgrade, socks5Upgrade, startsLikeBinaryUpgrade } from './upgrade-binary-protocols.js';
import type { TlsUpgrade } from './upgrade-outcome.js';
import { ftpUpgrade, httpConnectUpgrade, imapUpgrade, pop3Upgrade, smtpUpgrade, startsLikeTextUpgrade, xmppUpgrade } from './upgrade-text-protocols.js';

export type { TlsUpgrade, UpgradeName } from './upgrade-outcome.js';

type Recogniser = (client: Buffer, server: Buffer) => TlsUpgrade | undefined;

/** Client-first protocols, then server-first ones: each declines quickly bytes that are not its own. */
const RECOGNISERS: readonly Recogniser[] = [
  postgresUpgrade,
  httpConnectUpgrade,
  socks5Upgrade,
  socks4Upgrade,
  ldapUpgrade,
  xmppUpgrade,
  mysqlUpgrade,
  smtpUpgrade,
  ftpUpgrade,
  imapUpgrade,
  pop3Upgrade,
];

/**
 * The upgrade exchange at the start of a TCP flow, from the first bytes of each direction, or
 * undefined when neither starts like one of the protocols above.
 */
export function recogniseTlsUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!mayOpenUpgrade(client, server)) return undefined;
  for (let i = 0; i < RECOGNISERS.length; i++) {
    const upgrade = RECOGNISERS[i](client, server);
    if (upgrade !== undefined) return upgrade;
  }
  return undefined;
}

/**
 * Whether either side's first bytes can open one of the exchanges: the client's SSLRequest (0),
 * CONNECT, SOCKS version (4, 5), LDAP message (0x30) or XMPP stream ('<'); the server's banner
 * ('2' of 220, '*' of IMAP, '+' of POP3) or MySQL greeting (sequence 0, protocol 10). The audit
 * asks this of every plaintext flow: most are turned away by a few byte reads, not 11 parsers.
 */
function mayOpenUpgrade(client: Buffer, server: Buffer): boolean {
  const c = client.length > 0 ? client[0] : -1;
  const s = server.length > 0 ? server[0] : -1;
  return c === 0 || c === 0x43 || c === 4 || c === 5 || c === 0x30 || c === 0x3c || s === 0x32 || s === 0x2a || s === 0x2b || (server.length > 4 && server[3] === 0 && server[4] === 0x0a);
}

/**
 * Whether a direction's first segment (`data[at..at+n]`) may start an upgrade exchange, so the
 * flow table keeps more of the flow than a plaintext stream's few bytes. Looks at a few bytes in
 * place and allocates nothing; a false positive costs a larger prefix buffer, nothing more.
 */
export function startsLikeTlsUpgrade(data: Buffer, at: number, n: number): boolean {
  return startsLikeTextUpgrade(data, at, n) || startsLikeBinaryUpgrade(data, at, n);
}
