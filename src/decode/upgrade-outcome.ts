/**
 * What a plaintext start that may upgrade to TLS came to, as the protocol recognisers
 * (upgrade-text-protocols.ts, upgrade-binary-protocols.ts) report it to tls-upgrade.ts.
 */

/** How a connection reached TLS: the name reports and the JSON `upgraded` field carry. */
export type UpgradeName =
  | 'postgres-sslrequest'
  | 'mysql-ssl-request'
  | 'starttls-smtp'
  | 'starttls-imap'
  | 'starttls-pop3'
  | 'starttls-ldap'
  | 'starttls-xmpp'
  | 'ftp-auth-tls'
  | 'http-connect'
  | 'socks4'
  | 'socks5';

/**
 * `upgraded` both sides agreed and TLS begins at `clientAt` in the client's bytes and `serverAt`
 * in the server's; `refused` the server said no; `not-asked` the client has not asked (or the
 * server not offered) so far: final once the flow has ended, not while it runs; `unfinished` the
 * capture ends inside the exchange. `reason` says which, in words.
 */
export type TlsUpgrade =
  | { readonly kind: 'upgraded'; readonly name: UpgradeName; readonly protocol: string; readonly clientAt: number; readonly serverAt: number }
  | { readonly kind: 'refused' | 'not-asked' | 'unfinished'; readonly protocol: string; readonly reason: string };

export function upgraded(name: UpgradeName, protocol: string, clientAt: number, serverAt: number): TlsUpgrade {
  return { kind: 'upgraded', name, protocol, clientAt, serverAt };
}

export function refused(protocol: string, reason: string): TlsUpgrade {
  return { kind: 'refused', protocol, reason };
}

export function notAsked(protocol: string, reason: string): TlsUpgrade {
  return { kind: 'not-asked', protocol, reason };
}

export function unfinished(protocol: string, reason: string): TlsUpgrade {
  return { kind: 'unfinished', protocol, reason };
}
