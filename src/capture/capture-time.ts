/**
 * 10000-01-01T00:00:00Z in Unix seconds: capture times from the epoch up to here have a
 * four-digit-year ISO 8601 text, and far more room than a Date needs (it throws past the year
 * 275760). A pcapng timestamp is 64 bits of units plus a 64-bit offset, so a damaged or hostile
 * one can name any time at all (high word 0x7ffffffc in microseconds is the year 294247).
 */
export const CAPTURE_TIME_END_SECONDS = 253_402_300_800;

/** True for a packet time the flow table and every report can work with. */
export function isCaptureTime(seconds: number): boolean {
  return seconds >= 0 && seconds < CAPTURE_TIME_END_SECONDS;
}
