/**
 * Domain names in DNS messages (RFC 1035 section 4.1.4), compression pointers followed with two
 * bounds so no message can make the reader loop: at most MAX_POINTER_JUMPS pointers per name, and
 * at most 255 octets of name (RFC 1035 section 2.3.4), which any loop through labels exceeds.
 */

const MAX_NAME_OCTETS = 255;
const MAX_POINTER_JUMPS = 64;
const DOT = 0x2e;

export type NameRead =
  | { readonly ok: true; readonly name: string; /** Offset just past the name where it was read. */ readonly next: number }
  | { readonly ok: false; /** `cut` the bytes end inside the name; `malformed` no valid name lies there. */ readonly error: 'cut' | 'malformed'; readonly problem: string };

const CUT: NameRead = { ok: false, error: 'cut', problem: 'name runs past the captured bytes' };
const LOOP: NameRead = { ok: false, error: 'malformed', problem: 'compression pointers loop' };
const TOO_LONG: NameRead = { ok: false, error: 'malformed', problem: 'name longer than 255 octets' };

/** The name's text is gathered here (labels and dots, at most 255 bytes) and decoded once. */
const scratch = Buffer.alloc(MAX_NAME_OCTETS);

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
  let fill = 0;
  let plain = true;
  for (;;) {
    if (pos >= end) return CUT;
    const length = msg[pos];
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return CUT;
      if (next < 0) next = pos + 2;
      if (++jumps > MAX_POINTER_JUMPS) return LOOP;
      pos = ((length & 0x3f) << 8) | msg[pos + 1];
      continue;
    }
    if (kind !== 0) return { ok: false, error: 'malformed', problem: `label type 0x${kind.toString(16)}` };
    if (length === 0) break;
    octets += length + 1;
    if (octets > MAX_NAME_OCTETS) return TOO_LONG;
    if (pos + 1 + length > end) return CUT;
    if (fill > 0) scratch[fill++] = DOT;
    for (let i = pos + 1; i <= pos + length; i++) {
      const b = msg[i];
      if (b <= 0x20 || b >= 0x7f || b === DOT || b === 0x5c) plain = false;
      scratch[fill++] = b;
    }
    pos += 1 + length;
  }
  const resume = next < 0 ? pos + 1 : next;
  if (fill === 0) return { ok: true, name: '.', next: resume };
  return { ok: true, name: plain ? scratch.toString('latin1', 0, fill) : escapedName(msg, at), next: resume };
}

/** The rare name with bytes to escape: walked again (already known valid), label by label. */
function escapedName(msg: Buffer, at: number): string {
  let pos = at;
  let name = '';
  for (;;) {
    const length = msg[pos];
    if ((length & 0xc0) === 0xc0) {
      pos = ((length & 0x3f) << 8) | msg[pos + 1];
      continue;
    }
    if (length === 0) return name;
    if (name !== '') name += '.';
    for (let i = pos + 1; i <= pos + length; i++) {
      const b = msg[i];
      if (b === DOT || b === 0x5c) name += `\\${String.fromCharCode(b)}`;
      else if (b <= 0x20 || b >= 0x7f) name += `\\${b.toString().padStart(3, '0')}`;
      else name += String.fromCharCode(b);
    }
    pos += 1 + length;
  }
}
