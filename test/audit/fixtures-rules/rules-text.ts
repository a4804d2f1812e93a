/** 1-based line and column of the `occurrence`-th (1-based) occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let at = -1;
  for (let n = 0; n < occurrence; n++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`"${needle}" occurs fewer than ${occurrence} times`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** A small valid matrix: components a and b, one rule a -> b tcp/443 tls. */
export const VALID = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: t
  title: T
components:
  a:
    match:
      - pod: "a-*"
  b:
    match:
      - cidrs: ["10.0.0.0/8"]
connections:
  - id: a-to-b
    from: a
    to: b
    protocol: tcp
    ports: [443]
    security: tls
`;
