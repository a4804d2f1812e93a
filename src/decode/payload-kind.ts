/**
 * What the first payload bytes of a flow direction look like: enough to tell TLS from plaintext
 * and to name common plaintext protocols in a report. Full TLS handshake parsing lives elsewhere.
 */
export type PayloadKind = 'empty' | 'tls-handshake' | 'tls-alert' | 'http' | 'cassandra-cql' | 'other';

const TLS_HANDSHAKE = 0x16;
const TLS_ALERT = 0x15;
/** As bytes, compared in place: classifying every flow's first bytes allocates nothing. */
const HTTP_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'HTTP/1.', 'PRI * HTTP/2'].map((m) => Buffer.from(m, 'latin1'));
const CQL_OPCODE_STARTUP = 0x01;
const CQL_OPCODE_OPTIONS = 0x05;
const CQL_OPCODE_READY = 0x02;
const CQL_OPCODE_SUPPORTED = 0x06;

export function classifyPayload(bytes: Buffer): PayloadKind {
  if (bytes.length === 0) return 'empty';
  // A TLS record: content type, then legacy version 3.x (SSL 3.0 .. TLS 1.2 on the record layer).
  if (bytes.length >= 3 && bytes[1] === 0x03 && bytes[2] <= 0x04) {
    if (bytes[0] === TLS_HANDSHAKE) return 'tls-handshake';
    if (bytes[0] === TLS_ALERT) return 'tls-alert';
  }
  for (let i = 0; i < HTTP_METHODS.length; i++) if (startsWith(bytes, HTTP_METHODS[i])) return 'http';
  // CQL native protocol v3-v5 frame: version (high bit set in responses), flags, stream, opcode.
  if (bytes.length >= 9 && (bytes[0] & 0x7f) >= 3 && (bytes[0] & 0x7f) <= 5) {
    const opcode = bytes[4];
    if (opcode === CQL_OPCODE_STARTUP || opcode === CQL_OPCODE_OPTIONS || opcode === CQL_OPCODE_READY || opcode === CQL_OPCODE_SUPPORTED) {
      return 'cassandra-cql';
    }
  }
  return 'other';
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
