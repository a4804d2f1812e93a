/** How many flow records one part of a document holds: some 300 KB of a JSON report. */
export const RECORDS_PER_PART = 512;

/**
 * A JSON document with a last member `flows` added: one flow record a line, as NDJSON writes them
 * (`flows -f json` too), after the other members indented. In parts, each holding up to
 * RECORDS_PER_PART records made when the part is asked for: a record's text is a rope of dozens of
 * pieces until it is joined, and a report's ten thousand of them at once, joined, then copied
 * whole to be written, were a third of `analyze -o report.json`'s peak memory.
 */
export function* withFlows<T>(head: string, flows: readonly T[], record: (flow: T) => string): Generator<string, void, undefined> {
  const members = head.slice(0, head.lastIndexOf('}')).trimEnd();
  yield `${members}${members.endsWith('{') ? '' : ','}\n  "flows": `;
  if (flows.length === 0) {
    yield '[]\n}\n';
    return;
  }
  for (let i = 0; i < flows.length; i += RECORDS_PER_PART) {
    yield (i === 0 ? '[\n    ' : ',\n    ') + flows.slice(i, i + RECORDS_PER_PART).map(record).join(',\n    ');
  }
  yield '\n  ]\n}\n';
}
