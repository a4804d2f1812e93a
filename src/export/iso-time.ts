/**
 * The ISO 8601 text of a time in Unix seconds, to the microsecond ("2024-05-01T12:00:00.123456Z"),
 * for every report: captures keep microseconds or finer, and Zeek and ECS records keep them too.
 * Flows only carry times that PacketFlowSink accepted (src/capture/capture-time.ts), but a report
 * must never be lost to Date's RangeError: a time a Date cannot hold is written as its number of
 * seconds. The text up to the second is made once per second and kept in a small table, so a
 * listing, which writes two times a flow, nearly all of them in seconds it wrote before, only adds
 * the microseconds: two table lookups, no Date and no padding.
 */
export function isoTime(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const whole = Math.floor(micros / 1e6);
  const slot = whole & (SECONDS_KEPT - 1);
  if (keptSeconds[slot] !== whole && !keepSecond(whole, slot)) return `${seconds}`;
  const fraction = micros - whole * 1e6;
  return `${keptTexts[slot]}${THREE_DIGITS[Math.floor(fraction / 1000)]}${THREE_DIGITS[fraction % 1000]}Z`;
}

/**
 * Seconds whose text is kept, by the second's low bits: a flow's first and last second, and the
 * next flows', rarely share a slot (a power of two).
 */
const SECONDS_KEPT = 64;
const keptSeconds = new Float64Array(SECONDS_KEPT).fill(Number.NaN);
/** "2024-05-01T12:00:00." for the second in keptSeconds' slot. */
const keptTexts: string[] = new Array<string>(SECONDS_KEPT).fill('');
/** "000" to "999". */
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

const DAY = 86400;
let lastDay = Number.NaN;
/** "2024-05-01T" */
let lastDate = '';

/**
 * Keeps the text of second `whole` in `slot`; false if a Date cannot hold it. Its own function,
 * called once a second: inlined into isoTime, its code cost more to compile than the times of a
 * whole listing took to write. The date comes from a Date once a day.
 */
function keepSecond(whole: number, slot: number): boolean {
  const day = Math.floor(whole / DAY);
  if (day !== lastDay) {
    const date = new Date(day * DAY * 1000);
    if (Number.isNaN(date.getTime())) return false;
    lastDay = day;
    const text = date.toISOString();
    // Past year 9999 the year has a sign and six digits: cut at the T, not at a fixed length.
    lastDate = text.slice(0, text.indexOf('T') + 1);
  }
  const time = whole - day * DAY;
  keptSeconds[slot] = whole;
  keptTexts[slot] = `${lastDate}${two(Math.floor(time / 3600))}:${two(Math.floor(time / 60) % 60)}:${two(time % 60)}.`;
  return true;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
