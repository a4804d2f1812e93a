import type { TlsAlert } from './tls-alert.js';

/** TLS record content types (RFC 8446 section 5.1). */
export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;

const RECORD_HEADER = 5;
/** The largest record a peer may send: 2^14 plus the most expansion any version allows. */
const MAX_RECORD_LENGTH = 16384 + 2048;

/**
 * What ended the run of plaintext handshake records: the bytes ran out, or the first record of
 * another type (after ChangeCipherSpec, and from TLS 1.3's encrypted records on, nothing more
 * is readable), or a header no TLS peer sends.
 */
export type HandshakeStreamEnd = 'bytes' | 'change-cipher-spec' | 'alert' | 'application-data' | 'heartbeat' | 'malformed';

export interface HandshakeStream {
  /**
   * The fragments of the leading handshake records, joined: handshake messages may span records
   * and records may carry several messages, so messages are read from this. A view into the input
   * when there is one record; a copy (at most the input's length) when there are several.
   */
  readonly bytes: Buffer;
  readonly end: HandshakeStreamEnd;
  /** For `malformed`: which header was wrong. */
  readonly problem?: string;
  /** For `alert`: the alert, when its two bytes were captured. */
  readonly alert?: TlsAlert;
  /** Handshake records read (the last one possibly cut short). */
  readonly records: number;
  /** The bytes ended inside a record (its header or its fragment), so inside whatever it carried. */
  readonly cutInRecord: boolean;
}

/**
 * True when `data[at..]` begins like a TLS record header of the given content type, as far as it
 * goes: a capture cut inside the first header still counts, so the parser can say it was cut.
 */
export function looksLikeRecord(data: Buffer, at: number, type: number): boolean {
  const n = data.length - at;
  return n >= 1 && data[at] === type && (n < 2 || data[at + 1] === 3) && (n < 3 || data[at + 2] <= 4);
}

/**
 * Reads the TLS records at `data[start..]` up to the first one that is not a handshake record.
 * Every record header is checked (content type, version 3.x, length 1..18432); a record cut by
 * the end of `data` contributes the bytes it has. Never throws; each step consumes at least six
 * bytes, so the loop is bounded by the input.
 */
export function readHandshakeStream(data: Buffer, start: number): HandshakeStream {
  let pos = start;
  let first = -1;
  let firstEnd = -1;
  let parts: Buffer[] | undefined;
  let records = 0;
  let end: HandshakeStreamEnd = 'bytes';
  let problem: string | undefined;
  let alert: TlsAlert | undefined;
  while (data.length - pos >= RECORD_HEADER) {
    const type = data[pos];
    const length = data.readUInt16BE(pos + 3);
    if (data[pos + 1] !== 3 || data[pos + 2] > 4) {
      end = 'malformed';
      problem = `record at byte ${pos} has version ${hex16(data.readUInt16BE(pos + 1))}, not TLS`;
      break;
    }
    if (length === 0 || length > MAX_RECORD_LENGTH) {
      end = 'malformed';
      problem = `record at byte ${pos} has length ${length}`;
      break;
    }
    const fragStart = pos + RECORD_HEADER;
    const fragEnd = Math.min(fragStart + length, data.length);
    if (type === ContentType.Handshake) {
      records++;
      if (first < 0) {
        first = fragStart;
        firstEnd = fragEnd;
      } else {
        parts ??= [data.subarray(first, firstEnd)];
        parts.push(data.subarray(fragStart, fragEnd));
      }
      pos = fragStart + length;
      continue;
    }
    if (type === ContentType.ChangeCipherSpec) end = 'change-cipher-spec';
    else if (type === ContentType.ApplicationData) end = 'application-data';
    else if (type === ContentType.Heartbeat) end = 'heartbeat';
    else if (type === ContentType.Alert) {
      end = 'alert';
      if (fragEnd - fragStart >= 2) alert = { level: data[fragStart], description: data[fragStart + 1] };
    } else {
      end = 'malformed';
      problem = `record at byte ${pos} has content type ${type}`;
    }
    break;
  }
  const cutInRecord = end === 'bytes' && pos !== data.length;
  const bytes = parts !== undefined ? Buffer.concat(parts) : first >= 0 ? data.subarray(first, firstEnd) : data.subarray(0, 0);
  return { bytes, end, problem, alert, records, cutInRecord };
}

export function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}
