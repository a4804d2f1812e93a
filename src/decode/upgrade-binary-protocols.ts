/**
 * The upgrade exchanges of binary protocols: PostgreSQL's SSLRequest, MySQL's SSL request, LDAP's
 * StartTLS extended operation (RFC 4511 4.14), SOCKS4 (and 4a) and SOCKS5 (RFC 1928, 1929). Each
 * recogniser takes the first bytes of each direction and returns undefined when they are not its
 * protocol. Reasons name messages and codes only, never other payload.
 */
import { notAsked, refused, type TlsUpgrade, unfinished, upgraded } from './upgrade-outcome.js';

// --- PostgreSQL: an 8-byte SSLRequest (length 8, code 80877103); the server answers one byte.

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const PG_ACCEPT = 0x53; // 'S'
const PG_REFUSE = 0x4e; // 'N'

function isSslRequest(data: Buffer, at: number, n: number): boolean {
  return n >= SSL_REQUEST.length && data.compare(SSL_REQUEST, 0, SSL_REQUEST.length, at, at + SSL_REQUEST.length) === 0;
}

export function postgresUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!isSslRequest(client, 0, client.length)) return undefined;
  if (server.length === 0) return unfinished('postgres', 'the capture ends before the server answered the SSLRequest');
  if (server[0] === PG_ACCEPT) return upgraded('postgres-sslrequest', 'postgres', SSL_REQUEST.length, 1);
  if (server[0] === PG_REFUSE) return refused('postgres', 'the server refused the SSLRequest (N)');
  return refused('postgres', 'the server answered the SSLRequest with neither S nor N');
}

// --- MySQL: the server's greeting (protocol 10) offers CLIENT_SSL; the client's 32-byte SSL
// request packet (sequence 1, CLIENT_SSL set) is followed by the TLS handshake on both sides.

const MYSQL_HEADER = 4;
const MYSQL_PROTOCOL_10 = 0x0a;
const CLIENT_SSL = 0x0800;
const SSL_REQUEST_PACKET = 32;
/** A greeting is a version string, ids, salts and capabilities: tens of bytes, never kilobytes. */
const GREETING_MIN = 20;
const GREETING_MAX = 1024;

function mysqlPacketLength(data: Buffer, at: number): number {
  return data[at] | (data[at + 1] << 8) | (data[at + 2] << 16);
}

function startsLikeMysqlGreeting(data: Buffer, at: number, n: number): boolean {
  if (n < MYSQL_HEADER + 1 || data[at + 3] !== 0 || data[at + 4] !== MYSQL_PROTOCOL_10) return false;
  const length = mysqlPacketLength(data, at);
  return length >= GREETING_MIN && length <= GREETING_MAX;
}

export function mysqlUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsLikeMysqlGreeting(server, 0, server.length)) return undefined;
  const greetingEnd = MYSQL_HEADER + mysqlPacketLength(server, 0);
  // Version string (NUL-terminated), thread id (4), auth data (8), filler (1), capabilities (2).
  const nul = server.indexOf(0, MYSQL_HEADER + 1);
  const capabilities = nul + 14;
  if (nul < 0 || capabilities + 2 > greetingEnd) return nul < 0 && server.length < greetingEnd ? unfinished('mysql', 'the capture ends inside the server greeting') : undefined;
  if (server.length < capabilities + 2) return unfinished('mysql', 'the capture ends inside the server greeting');
  const offered = (server.readUInt16LE(capabilities) & CLIENT_SSL) !== 0;
  if (client.length < MYSQL_HEADER + 4) return unfinished('mysql', 'the capture ends before the client answered the greeting');
  const sslRequest = mysqlPacketLength(client, 0) === SSL_REQUEST_PACKET && client[3] === 1 && (client.readUInt32LE(MYSQL_HEADER) & CLIENT_SSL) !== 0;
  if (sslRequest && offered && client.length < MYSQL_HEADER + SSL_REQUEST_PACKET) return unfinished('mysql', 'the capture ends inside the SSL request');
  if (sslRequest && offered && server.length < greetingEnd) return unfinished('mysql', 'the capture ends inside the server greeting');
  if (sslRequest && offered) return upgraded('mysql-ssl-request', 'mysql', MYSQL_HEADER + SSL_REQUEST_PACKET, greetingEnd);
  return notAsked('mysql', offered ? 'the client did not request SSL' : 'the server does not offer SSL');
}

// --- LDAP: LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n] ... } in BER.

const BER_SEQUENCE = 0x30;
const BER_INTEGER = 0x02;
const LDAP_EXTENDED_REQUEST = 0x77;
const LDAP_EXTENDED_RESPONSE = 0x78;
const BER_ENUMERATED = 0x0a;
const START_TLS_OID = Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1');

/** One LDAP message's header fields, or undefined when the bytes at `at` are not one. */
interface LdapMessage {
  readonly end: number;
  readonly id: number;
  readonly op: number;
  /** Where the operation's content starts. */
  readonly body: number;
}

/** A BER length at `at`: [length, where the content starts], or undefined (indefinite, too long, cut). */
function berLength(buf: Buffer, at: number): [number, number] | undefined {
  if (at >= buf.length) return undefined;
  const first = buf[at];
  if (first < 0x80) return [first, at + 1];
  const octets = first & 0x7f;
  if (octets === 0 || octets > 3 || at + 1 + octets > buf.length) return undefined;
  let length = 0;
  for (let i = 1; i <= octets; i++) length = length * 256 + buf[at + i];
  return [length, at + 1 + octets];
}

function ldapMessage(buf: Buffer, at: number): LdapMessage | undefined {
  if (buf[at] !== BER_SEQUENCE) return undefined;
  const outer = berLength(buf, at + 1);
  if (outer === undefined || buf[outer[1]] !== BER_INTEGER) return undefined;
  const idLength = buf[outer[1] + 1];
  if (!(idLength >= 1 && idLength <= 4) || outer[1] + 2 + idLength >= buf.length) return undefined;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + buf[outer[1] + 2 + i];
  const opAt = outer[1] + 2 + idLength;
  const op = buf[opAt];
  const inner = berLength(buf, opAt + 1);
  // Protocol operations are [APPLICATION 0..25], primitive or constructed.
  if (inner === undefined || (op & 0xc0) !== 0x40 || (op & 0x1f) > 25) return undefined;
  return { end: outer[1] + outer[0], id, op, body: inner[1] };
}

function isStartTlsRequest(buf: Buffer, m: LdapMessage): boolean {
  if (m.op !== LDAP_EXTENDED_REQUEST || buf[m.body] !== 0x80) return false;
  const name = berLength(buf, m.body + 1);
  return name !== undefined && name[0] === START_TLS_OID.length && name[1] + name[0] <= buf.length && buf.compare(START_TLS_OID, 0, START_TLS_OID.length, name[1], name[1] + name[0]) === 0;
}

export function ldapUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (ldapMessage(client, 0) === undefined) return undefined;
  let request: LdapMessage | undefined;
  for (let at = 0; at < client.length; ) {
    const m = ldapMessage(client, at);
    if (m === undefined) break;
    if (isStartTlsRequest(client, m)) {
      request = m;
      break;
    }
    at = m.end;
  }
  if (request === undefined) return notAsked('ldap', 'the client did not ask for StartTLS');
  if (request.end > client.length) return unfinished('ldap', 'the capture ends inside the StartTLS request');
  for (let at = 0; at < server.length; ) {
    const m = ldapMessage(server, at);
    if (m === undefined) break;
    if (m.op === LDAP_EXTENDED_RESPONSE && m.id === request.id && m.end <= server.length) {
      if (server[m.body] !== BER_ENUMERATED || server[m.body + 1] !== 1) return refused('ldap', 'the StartTLS response has no result code');
      const result = server[m.body + 2];
      if (result === 0) return upgraded('starttls-ldap', 'ldap', request.end, m.end);
      return refused('ldap', `the server answered StartTLS with result code ${result}`);
    }
    at = m.end;
  }
  return unfinished('ldap', 'the capture ends before the server answered StartTLS');
}

function startsLikeLdapMessage(data: Buffer, at: number, n: number): boolean {
  if (n < 5 || data[at] !== BER_SEQUENCE) return false;
  const l = data[at + 1];
  const idAt = l < 0x80 ? at + 2 : l >= 0x81 && l <= 0x83 ? at + 2 + (l & 0x7f) : -1;
  return idAt > 0 && idAt < at + n && data[idAt] === BER_INTEGER;
}

// --- SOCKS5: greeting (version, methods), method choice, optional username/password, then a
// request and its reply, each with an address of type IPv4 (1), name (3) or IPv6 (4) and a port.

const SOCKS5 = 5;
const NO_AUTHENTICATION = 0;
const USERNAME_PASSWORD = 2;
const NO_ACCEPTABLE_METHOD = 0xff;

/** Where a SOCKS5 request or reply starting at `at` ends, or -1 when cut or not one. */
function socks5AddressEnd(buf: Buffer, at: number): number {
  if (buf.length < at + 5 || buf[at] !== SOCKS5) return -1;
  const type = buf[at + 3];
  const address = type === 1 ? 4 : type === 4 ? 16 : type === 3 ? 1 + buf[at + 4] : -1;
  const end = at + 4 + address + 2;
  return address < 0 || end > buf.length ? -1 : end;
}

export function socks5Upgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (client.length < 3 || client[0] !== SOCKS5 || client[1] === 0 || client.length < 2 + client[1]) return undefined;
  if (server.length > 0 && server[0] !== SOCKS5) return undefined;
  if (server.length < 2) return unfinished('socks5', 'the capture ends before the proxy chose an authentication method');
  let clientAt = 2 + client[1];
  let serverAt = 2;
  const method = server[1];
  if (method === NO_ACCEPTABLE_METHOD) return refused('socks5', 'the proxy accepted no authentication method');
  if (method === USERNAME_PASSWORD) {
    const user = client[clientAt + 1];
    const password = client[clientAt + 2 + user];
    if (client[clientAt] !== 1 || password === undefined || server.length < serverAt + 2) return unfinished('socks5', 'the capture ends inside the username/password exchange');
    if (server[serverAt + 1] !== 0) return refused('socks5', 'the proxy refused the username and password');
    clientAt += 3 + user + password;
    serverAt += 2;
  } else if (method !== NO_AUTHENTICATION) {
    return unfinished('socks5', `authentication method ${method} is not read here`);
  }
  const requestEnd = socks5AddressEnd(client, clientAt);
  if (requestEnd < 0) return unfinished('socks5', 'the capture ends inside the SOCKS5 request');
  if (server.length < serverAt + 2) return unfinished('socks5', 'the capture ends before the proxy answered the request');
  const reply = server[serverAt + 1];
  if (reply !== 0) return refused('socks5', `the proxy refused the request (reply ${reply})`);
  const replyEnd = socks5AddressEnd(server, serverAt);
  if (replyEnd < 0) return unfinished('socks5', 'the capture ends inside the proxy\'s reply');
  return upgraded('socks5', 'socks5', requestEnd, replyEnd);
}

// --- SOCKS4 and 4a: version 4, command, port, address, a NUL-terminated user id (and, for 4a's
// address 0.0.0.x, a NUL-terminated host name); the reply is 8 bytes, 0x5a granting it.

const SOCKS4 = 4;
const SOCKS4_GRANTED = 0x5a;
const SOCKS4_REPLY = 8;

function startsLikeSocks4(data: Buffer, at: number, n: number): boolean {
  return n >= 9 && data[at] === SOCKS4 && (data[at + 1] === 1 || data[at + 1] === 2) && data[at + n - 1] === 0;
}

export function socks4Upgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsLikeSocks4(client, 0, Math.min(client.length, client.indexOf(0, 8) + 1)) || (server.length > 0 && server[0] !== 0 && server[0] !== SOCKS4)) return undefined;
  const user = client.indexOf(0, 8);
  const socks4a = client[4] === 0 && client[5] === 0 && client[6] === 0 && client[7] !== 0;
  const name = socks4a ? client.indexOf(0, user + 1) : user;
  if (name < 0) return unfinished('socks4', 'the capture ends inside the SOCKS4a request');
  if (server.length < SOCKS4_REPLY) return unfinished('socks4', 'the capture ends before the proxy answered');
  if (server[1] !== SOCKS4_GRANTED) return refused('socks4', `the proxy refused the request (reply ${server[1]})`);
  return upgraded('socks4', 'socks4', name + 1, SOCKS4_REPLY);
}

/** The first bytes of a request or greeting that opens one of the exchanges above. */
export function startsLikeBinaryUpgrade(data: Buffer, at: number, n: number): boolean {
  switch (data[at]) {
    case 0:
      return isSslRequest(data, at, n);
    case SOCKS5:
      return n >= 3 && data[at + 1] !== 0 && n >= 2 + data[at + 1];
    case SOCKS4:
      return startsLikeSocks4(data, at, n);
    case BER_SEQUENCE:
      return startsLikeLdapMessage(data, at, n);
    default:
      return startsLikeMysqlGreeting(data, at, n);
  }
}
