/**
 * The ISO 8601 text of a time in Unix seconds, for every report. Flows only carry times that
 * PacketFlowSink accepted (src/capture/capture-time.ts), but a report must never be lost to
 * Date's RangeError: a time a Date cannot hold is written as its number of seconds.
 */
export function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds}` : date.toISOString();
}
