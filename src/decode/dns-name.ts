/**
 * Domain names in DNS messages (RFC 1035 section 4.1.4), compression pointers followed with two
 * bounds so no message can make the reader loop: at most MAX_POINTER_JUMPS pointers per name, and
 * at most 255 octets of name (RFC 1035 section 2.3.4), which any loop through labels exceeds.
 */

const MAX_NAME_OCTETS = 255;
const MAX_POINTER_JUMPS = 64;

export type NameRead =
  | { readonly ok: true; readonly name: string; /** Offset just past the name where it was read. */ readonly next: number }
  | { readonly ok: false; /** `cut` the bytes end inside the name; `malformed` no valid name lies there. */ readonly error: 'cut' | 'malformed'; readonly problem: string };

/**
 * Reads the name at `msg[at..]` in the message `msg[0..end)` (offsets in pointers count from 0).
 * Text form: labels joined by dots without the final dot, "." for the root; printable bytes as
 * they are (case kept), dots and backslashes in labels escaped as \. and \\, other bytes as \DDD
 * (RFC 4343 section 2.1), so a name never carries control characters into a report.
 */
export function readName(msg: Buffer, at: number, end: number): NameRead {
  let pos = at;
  let next = -1;
  let jumps = 0;
  let octets = 1;
  let name = '';
  for (;;) {
    if (pos >= end) return { ok: false, error: 'cut', problem: 'name runs past the captured bytes' };
    const length = msg[pos];
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return { ok: false, error: 'cut', problem: 'name runs past the captured bytes' };
      if (next < 0) next = pos + 2;
      if (++jumps > MAX_POINTER_JUMPS) return { ok: false, error: 'malformed', problem: 'compression pointers loop' };
      pos = ((length & 0x3f) << 8) | msg[pos + 1];
      continue;
    }
    if (kind !== 0) return { ok: false, error: 'malformed', problem: `label type 0x${kind.toString(16)}` };
    if (length === 0) return { ok: true, name: name === '' ? '.' : name, next: next < 0 ? pos + 1 : next };
    octets += length + 1;
    if (octets > MAX_NAME_OCTETS) return { ok: false, error: 'malformed', problem: 'name longer than 255 octets' };
    if (pos + 1 + length > end) return { ok: false, error: 'cut', problem: 'name runs past the captured bytes' };
    if (name !== '') name += '.';
    name += labelText(msg, pos + 1, pos + 1 + length);
    pos += 1 + length;
  }
}

function labelText(msg: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = msg[i];
    if (b <= 0x20 || b >= 0x7f || b === 0x2e || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return msg.toString('latin1', start, end);
  let out = '';
  for (let i = start; i < end; i++) {
    const b = msg[i];
    if (b === 0x2e || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b <= 0x20 || b >= 0x7f) out += `\\${b.toString().padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}
