import { startsLikeSslv2ClientHello } from './tls-sslv2-hello.js';

/**
 * What the first payload bytes of a flow direction look like: enough to tell TLS from plaintext
 * and to name common plaintext protocols in a report. Full TLS handshake parsing lives elsewhere.
 */
export type PayloadKind = 'empty' | 'tls-handshake' | 'tls-alert' | 'http' | 'cassandra-cql' | 'other';

const TLS_HANDSHAKE = 0x16;
const TLS_ALERT = 0x15;
/** As bytes, compared in place: classifying every flow's first bytes allocates nothing. */
const HTTP_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'HTTP/1.', 'PRI * HTTP/2'].map((m) => Buffer.from(m, 'latin1'));

export function classifyPayload(bytes: Buffer): PayloadKind {
  if (bytes.length === 0) return 'empty';
  // A TLS record: content type, then legacy version 3.x (SSL 3.0 .. TLS 1.2 on the record layer).
  if (bytes.length >= 3 && bytes[1] === 0x03 && bytes[2] <= 0x04) {
    if (bytes[0] === TLS_HANDSHAKE) return 'tls-handshake';
    if (bytes[0] === TLS_ALERT) return 'tls-alert';
  }
  for (let i = 0; i < HTTP_METHODS.length; i++) if (startsWith(bytes, HTTP_METHODS[i])) return 'http';
  if (isCqlHandshakeFrame(bytes)) return 'cassandra-cql';
  // Old clients reach TLS servers with an SSL 2.0-format hello (tls-sslv2-hello.ts reads it). After
  // CQL: a CQL response's header can look like one (0x83, flags, stream 0x0103); a hello shorter
  // than 768 bytes never looks like CQL.
  if (startsLikeSslv2ClientHello(bytes)) return 'tls-handshake';
  return 'other';
}

const CQL_HEADER = 9;
const CQL_RESPONSE = 0x80;
/** Flags defined by CQL v3-v5: compression, tracing, custom payload, warning, beta. */
const CQL_FLAGS = 0x1f;
const CQL_OPCODE_STARTUP = 0x01;
const CQL_OPCODE_READY = 0x02;
const CQL_OPCODE_OPTIONS = 0x05;
const CQL_OPCODE_SUPPORTED = 0x06;
/** STARTUP's string map names a CQL version and maybe compression, a driver and its version. */
const CQL_MAX_STARTUP = 4096;
const CQL_MAX_SUPPORTED = 65536;
const CQL_MAX_MAP_ENTRIES = 64;

/**
 * The first frame of a CQL native protocol v3-v5 connection (what a client sends first, or the
 * server's answer): a 9-byte header whose every field fits, not only a version and an opcode byte
 * (a SOCKS5 greeting and request, 05 01 00 05 01 ..., has both). Client: STARTUP (a string map)
 * or OPTIONS (empty); server: READY (empty) or SUPPORTED (a string multimap).
 */
function isCqlHandshakeFrame(bytes: Buffer): boolean {
  if (bytes.length < CQL_HEADER) return false;
  const version = bytes[0] & 0x7f;
  if (version < 3 || version > 5 || (bytes[1] & ~CQL_FLAGS) !== 0 || (bytes[2] & 0x80) !== 0) return false;
  const response = (bytes[0] & CQL_RESPONSE) !== 0;
  const opcode = bytes[4];
  const length = bytes.readUInt32BE(5);
  if (opcode === (response ? CQL_OPCODE_READY : CQL_OPCODE_OPTIONS)) return length === 0;
  if (opcode !== (response ? CQL_OPCODE_SUPPORTED : CQL_OPCODE_STARTUP)) return false;
  if (length < 2 || length > (response ? CQL_MAX_SUPPORTED : CQL_MAX_STARTUP)) return false;
  // The map's entry count, when captured.
  if (bytes.length < CQL_HEADER + 2) return true;
  const entries = bytes.readUInt16BE(CQL_HEADER);
  return entries >= 1 && entries <= CQL_MAX_MAP_ENTRIES;
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
