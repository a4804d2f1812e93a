/**
 * The ISO 8601 text of a time in Unix seconds, to the microsecond ("2024-05-01T12:00:00.123456Z"),
 * for every report: captures keep microseconds or finer, and Zeek and ECS records keep them too.
 * Flows only carry times that PacketFlowSink accepted (src/capture/capture-time.ts), but a report
 * must never be lost to Date's RangeError: a time a Date cannot hold is written as its number of
 * seconds. The whole seconds' text is kept for the next call: a listing writes two times a flow,
 * most of them in the same second as the one before.
 */
export function isoTime(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const whole = Math.floor(micros / 1e6);
  if (whole !== lastWhole) {
    const date = new Date(whole * 1000);
    if (Number.isNaN(date.getTime())) return `${seconds}`;
    lastWhole = whole;
    lastText = date.toISOString().slice(0, 19);
  }
  return `${lastText}.${String(micros - whole * 1e6).padStart(6, '0')}Z`;
}

let lastWhole = Number.NaN;
let lastText = '';
