/**
 * The ISO 8601 text of a time in Unix seconds, to the microsecond ("2024-05-01T12:00:00.123456Z"),
 * for every report: captures keep microseconds or finer, and Zeek and ECS records keep them too.
 * Flows only carry times that PacketFlowSink accepted (src/capture/capture-time.ts), but a report
 * must never be lost to Date's RangeError: a time a Date cannot hold is written as its number of
 * seconds. The date is made by a Date once per day and kept for the next call, the time of day
 * by arithmetic: a listing writes two times a flow, nearly all of them on the same day.
 */
export function isoTime(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const whole = Math.floor(micros / 1e6);
  const day = Math.floor(whole / DAY);
  if (day !== lastDay && !startDay(day)) return `${seconds}`;
  const time = whole - day * DAY;
  return `${lastDate}${two(Math.floor(time / 3600))}:${two(Math.floor(time / 60) % 60)}:${two(time % 60)}.${String(micros - whole * 1e6).padStart(6, '0')}Z`;
}

const DAY = 86400;
let lastDay = Number.NaN;
/** "2024-05-01T" */
let lastDate = '';

/**
 * Makes `day` the day whose date isoTime writes; false if a Date cannot hold it. Its own
 * function, called once a day: inlined into isoTime, the Date's code cost more to compile than
 * the times of a whole listing took to write.
 */
function startDay(day: number): boolean {
  const date = new Date(day * DAY * 1000);
  if (Number.isNaN(date.getTime())) return false;
  lastDay = day;
  const text = date.toISOString();
  // Past year 9999 the year has a sign and six digits: cut at the T, not at a fixed length.
  lastDate = text.slice(0, text.indexOf('T') + 1);
  return true;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
