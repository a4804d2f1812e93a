/**
 * A JSON document with a last member `flows` added: one flow record a line, as NDJSON writes them
 * (`flows -f json` too), after the other members indented.
 */
export function withFlows(head: string, flows: readonly string[]): string {
  const members = head.slice(0, head.lastIndexOf('}')).trimEnd();
  const list = flows.length === 0 ? '[]' : `[\n    ${flows.join(',\n    ')}\n  ]`;
  return `${members}${members.endsWith('{') ? '' : ','}\n  "flows": ${list}\n}\n`;
}
