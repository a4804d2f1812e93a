/**
 * The upgrade exchanges of line-based protocols: SMTP STARTTLS (RFC 3207), FTP AUTH TLS (RFC 4217),
 * IMAP STARTTLS (RFC 9051), POP3 STLS (RFC 2595), XMPP <starttls/> (RFC 6120) and HTTP CONNECT
 * (RFC 9110). Each recogniser takes the first bytes of each direction and returns undefined when
 * they are not its protocol. Reasons name commands and reply codes only, never other payload.
 */
import { notAsked, refused, type TlsUpgrade, unfinished, upgraded, type UpgradeName } from './upgrade-outcome.js';

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Where the line starting at `at` ends (after its LF), or -1 when the bytes end first. */
function lineEnd(buf: Buffer, at: number): number {
  const lf = buf.indexOf(LF, at);
  return lf < 0 ? -1 : lf + 1;
}

/** `word` at `buf[at..]`, ASCII letters compared without case (`word` is upper case). */
function startsWithWord(buf: Buffer, at: number, word: Buffer): boolean {
  if (buf.length - at < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    const b = buf[at + i];
    const upper = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
    if (upper !== word[i]) return false;
  }
  return true;
}

/** `word` at `at` and nothing but the line's end (or a space, for commands with arguments) after it. */
function isCommand(buf: Buffer, at: number, end: number, word: Buffer, argumentsAllowed: boolean): boolean {
  if (!startsWithWord(buf, at, word)) return false;
  const next = buf[at + word.length];
  return at + word.length === end || next === CR || next === LF || (argumentsAllowed && next === SPACE);
}

/** Whether `word` appears anywhere in `buf`, without case. */
function containsWord(buf: Buffer, word: Buffer): boolean {
  for (let i = 0; i <= buf.length - word.length; i++) if (startsWithWord(buf, i, word)) return true;
  return false;
}

/** The line index and end of the first client command `word` (plus `argument`, when given), or undefined. */
function findCommand(client: Buffer, word: Buffer, argument?: Buffer): { index: number; end: number } | undefined {
  let at = 0;
  for (let index = 0; at < client.length; index++) {
    const end = lineEnd(client, at);
    if (end < 0) return undefined;
    if (argument === undefined ? isCommand(client, at, end, word, false) : startsWithWord(client, at, word) && isCommand(client, at + word.length, end, argument, true)) {
      return { index, end };
    }
    at = end;
  }
  return undefined;
}

/** The client never asked: because the server did not offer it, when its bytes show no offer. */
function notAskedFor(protocol: string, command: string, server: Buffer, offer: Buffer): TlsUpgrade {
  return notAsked(protocol, containsWord(server, offer) ? `the client did not ask for ${command}` : `the server did not offer ${command}`);
}

// --- SMTP and FTP: numbered replies, "250-" continuing a reply and "250 " ending it.

/** Where the reply starting at `at` ends, or -1 when the bytes end first. */
function replyEnd(server: Buffer, at: number): number {
  for (let line = at; line < server.length; ) {
    const end = lineEnd(server, line);
    if (end < 0) return -1;
    if (server[line + 3] !== 0x2d) return end; // not "NNN-": the reply's last line
    line = end;
  }
  return -1;
}

function replyCode(server: Buffer, at: number): number {
  let code = 0;
  for (let i = at; i < at + 3; i++) {
    const d = server[i] - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    code = code * 10 + d;
  }
  return code;
}

interface ReplyCodeProtocol {
  readonly protocol: string;
  readonly name: UpgradeName;
  readonly command: string;
  readonly word: Buffer;
  readonly argument?: Buffer;
  /** What the server's capabilities list when it offers the upgrade. */
  readonly offer: Buffer;
  readonly accepted: number;
}

const SMTP: ReplyCodeProtocol = { protocol: 'smtp', name: 'starttls-smtp', command: 'STARTTLS', word: ascii('STARTTLS'), offer: ascii('STARTTLS'), accepted: 220 };
const FTP: ReplyCodeProtocol = { protocol: 'ftp', name: 'ftp-auth-tls', command: 'AUTH TLS', word: ascii('AUTH '), argument: ascii('TLS'), offer: ascii('AUTH TLS'), accepted: 234 };
const FTP_SSL = { ...FTP, command: 'AUTH SSL', argument: ascii('SSL') };
const BANNER = ascii('220');
const SMTP_GREETINGS = [ascii('EHLO '), ascii('HELO '), ascii('LHLO ')];

/** The server's reply to the client's `index`-th line (the banner answers nobody), after earlier replies. */
function replyCodeUpgrade(server: Buffer, p: ReplyCodeProtocol, asked: { index: number; end: number }): TlsUpgrade {
  let at = 0;
  for (let i = 0; i <= asked.index; i++) {
    const end = replyEnd(server, at);
    if (end < 0) return unfinished(p.protocol, `the capture ends before the server answered ${p.command}`);
    at = end;
  }
  const end = replyEnd(server, at);
  if (end < 0) return unfinished(p.protocol, `the capture ends before the server answered ${p.command}`);
  const code = replyCode(server, at);
  if (code === p.accepted) return upgraded(p.name, p.protocol, asked.end, end);
  return refused(p.protocol, code < 0 ? `the server's answer to ${p.command} is not a reply` : `the server answered ${p.command} with ${code}`);
}

export function smtpUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsWithWord(server, 0, BANNER) || !SMTP_GREETINGS.some((g) => startsWithWord(client, 0, g))) return undefined;
  const asked = findCommand(client, SMTP.word);
  return asked === undefined ? notAskedFor(SMTP.protocol, SMTP.command, server, SMTP.offer) : replyCodeUpgrade(server, SMTP, asked);
}

/** After SMTP (whose clients greet with EHLO or HELO): any other dialogue opened by a 220 banner. */
export function ftpUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (client.length === 0 || !startsWithWord(server, 0, BANNER) || (server[3] !== SPACE && server[3] !== 0x2d)) return undefined;
  const tls = findCommand(client, FTP.word, FTP.argument);
  const ssl = findCommand(client, FTP_SSL.word, FTP_SSL.argument);
  if (tls === undefined && ssl === undefined) return notAskedFor(FTP.protocol, FTP.command, server, FTP.offer);
  const first = ssl === undefined || (tls !== undefined && tls.index < ssl.index);
  return replyCodeUpgrade(server, first ? FTP : FTP_SSL, first ? tls! : ssl!);
}

// --- IMAP: tagged commands; the server answers STARTTLS with "tag OK" (or NO, BAD).

const IMAP_GREETING = ascii('* OK');
const IMAP_PREAUTH = ascii('* PREAUTH');
const STARTTLS = ascii('STARTTLS');
const OK = ascii('OK');

export function imapUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsWithWord(server, 0, IMAP_GREETING) && !startsWithWord(server, 0, IMAP_PREAUTH)) return undefined;
  // A client line is "tag SP command": find STARTTLS, its tag, and how many commands came before.
  let earlier = 0;
  let tagStart = 0;
  let tagEnd = -1;
  let clientAt = -1;
  for (let at = 0; at < client.length; earlier++) {
    const end = lineEnd(client, at);
    if (end < 0) break;
    const space = client.indexOf(SPACE, at);
    if (space > at && space < end && isCommand(client, space + 1, end, STARTTLS, false)) {
      tagStart = at;
      tagEnd = space;
      clientAt = end;
      break;
    }
    at = end;
  }
  if (clientAt < 0) return notAskedFor('imap', 'STARTTLS', server, STARTTLS);
  const tag = client.subarray(tagStart, tagEnd);
  // Each earlier command ends with a tagged line (not "* " untagged, not "+ " continuation);
  // clients may reuse a tag, so the answer to STARTTLS is the tagged line after theirs.
  let completions = 0;
  for (let at = lineEnd(server, 0); at > 0 && at < server.length; ) {
    const end = lineEnd(server, at);
    if (end < 0) break;
    if (server[at] !== 0x2a && server[at] !== 0x2b && completions++ === earlier) {
      if (!server.subarray(at, at + tag.length).equals(tag) || server[at + tag.length] !== SPACE) return refused('imap', 'the answer to STARTTLS carries another tag');
      if (startsWithWord(server, at + tag.length + 1, OK)) return upgraded('starttls-imap', 'imap', clientAt, end);
      return refused('imap', 'the server refused STARTTLS');
    }
    at = end;
  }
  return unfinished('imap', 'the capture ends before the server answered STARTTLS');
}

// --- POP3: "+OK" or "-ERR" per command; CAPA's +OK is followed by lines up to ".".

const POP3_OK = ascii('+OK');
const STLS = ascii('STLS');
const CAPA = ascii('CAPA');

export function pop3Upgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsWithWord(server, 0, POP3_OK)) return undefined;
  const asked = findCommand(client, STLS);
  if (asked === undefined) return notAskedFor('pop3', 'STLS', server, STLS);
  let at = lineEnd(server, 0); // the greeting
  let command = 0;
  for (let i = 0; i < asked.index && at > 0; i++) {
    const multiline = isCommand(client, command, lineEnd(client, command), CAPA, false) && startsWithWord(server, at, POP3_OK);
    at = lineEnd(server, at);
    // A multi-line answer ends with a line holding only ".".
    while (multiline && at > 0 && !(server[at] === 0x2e && (server[at + 1] === CR || server[at + 1] === LF))) at = lineEnd(server, at);
    if (multiline && at > 0) at = lineEnd(server, at);
    command = lineEnd(client, command);
  }
  const end = at > 0 ? lineEnd(server, at) : -1;
  if (end < 0) return unfinished('pop3', 'the capture ends before the server answered STLS');
  if (startsWithWord(server, at, POP3_OK)) return upgraded('starttls-pop3', 'pop3', asked.end, end);
  return refused('pop3', 'the server refused STLS');
}

// --- XMPP: <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>, answered by <proceed/> or <failure/>.

const XML_DECLARATION = ascii('<?XML');
const STREAM = ascii('<stream:stream');
const STARTTLS_ELEMENT = ascii('<starttls');
const PROCEED = ascii('<proceed');
const FAILURE = ascii('<failure');

/** Where the element starting at `at` ends: after "/>" or after its closing tag `</name>`. */
function elementEnd(buf: Buffer, at: number, name: string): number {
  const close = buf.indexOf(0x3e, at);
  if (close < 0) return -1;
  if (buf[close - 1] === 0x2f) return close + 1;
  const closing = buf.indexOf(`</${name}>`, close, 'latin1');
  return closing < 0 ? -1 : closing + name.length + 3;
}

export function xmppUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!startsWithWord(client, 0, XML_DECLARATION) && !client.subarray(0, STREAM.length).equals(STREAM)) return undefined;
  const asked = client.indexOf(STARTTLS_ELEMENT);
  if (asked < 0) return notAsked('xmpp', server.includes(STARTTLS_ELEMENT) ? 'the client did not ask for STARTTLS' : 'the server did not offer STARTTLS');
  const clientAt = elementEnd(client, asked, 'starttls');
  if (clientAt < 0) return unfinished('xmpp', 'the capture ends inside the client\'s <starttls/>');
  const proceed = server.indexOf(PROCEED);
  const failure = server.indexOf(FAILURE);
  if (proceed >= 0 && (failure < 0 || proceed < failure)) {
    const serverAt = elementEnd(server, proceed, 'proceed');
    if (serverAt >= 0) return upgraded('starttls-xmpp', 'xmpp', clientAt, serverAt);
  }
  if (failure >= 0) return refused('xmpp', 'the server answered STARTTLS with <failure/>');
  return unfinished('xmpp', 'the capture ends before the server answered STARTTLS');
}

// --- HTTP CONNECT: a request head, then a response head; a 2xx status opens the tunnel.

const CONNECT = ascii('CONNECT ');
const HTTP_VERSION = ascii('HTTP/1.');
const HEAD_END = ascii('\r\n\r\n');

export function httpConnectUpgrade(client: Buffer, server: Buffer): TlsUpgrade | undefined {
  if (!client.subarray(0, CONNECT.length).equals(CONNECT)) return undefined;
  const request = client.indexOf(HEAD_END);
  if (request < 0) return unfinished('http', 'the capture ends inside the CONNECT request');
  const response = server.indexOf(HEAD_END);
  if (response < 0) return unfinished('http', 'the capture ends before the proxy answered CONNECT');
  const status = startsWithWord(server, 0, HTTP_VERSION) && server[8] === SPACE ? replyCode(server, 9) : -1;
  if (status >= 200 && status <= 299) return upgraded('http-connect', 'http', request + 4, response + 4);
  return refused('http', status < 0 ? 'the answer to CONNECT is not an HTTP response' : `the proxy answered CONNECT with ${status}`);
}

/** The first bytes of a server banner or client request that opens one of the exchanges above. */
export function startsLikeTextUpgrade(data: Buffer, at: number, n: number): boolean {
  if (n < 3) return false;
  switch (data[at]) {
    case 0x32: // "220 " or "220-": SMTP, FTP
      return n >= 4 && data[at + 1] === 0x32 && data[at + 2] === 0x30 && (data[at + 3] === SPACE || data[at + 3] === 0x2d);
    case 0x2a: // "* OK", "* PREAUTH": IMAP
      return data[at + 1] === SPACE && (data[at + 2] === 0x4f || data[at + 2] === 0x50);
    case 0x2b: // "+OK": POP3
      return data[at + 1] === 0x4f && data[at + 2] === 0x4b;
    case 0x43: // "CONNECT "
      return n >= CONNECT.length && data.compare(CONNECT, 0, CONNECT.length, at, at + CONNECT.length) === 0;
    case 0x3c: // "<?xml", "<stream:stream": XMPP
      return data[at + 1] === 0x3f || (n >= STREAM.length && data.compare(STREAM, 0, STREAM.length, at, at + STREAM.length) === 0);
    default:
      return false;
  }
}
