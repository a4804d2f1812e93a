/** Addresses every Linux loopback answers on, standing for two components in the agent's loopback tests. */
export const LOOPBACK_WEB = '127.0.0.2';
export const LOOPBACK_API = '127.0.0.3';

/** A matrix with one edge, web (LOOPBACK_WEB) -> api (LOOPBACK_API) on a TCP port, with the given security. */
export function loopbackMatrix(name: string, title: string, port: number, security: string): string {
  return `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: ${name}
  title: ${title}
components:
  web:
    match:
      - cidrs: ["${LOOPBACK_WEB}/32"]
  api:
    match:
      - cidrs: ["${LOOPBACK_API}/32"]
connections:
  - id: web-to-api
    from: web
    to: api
    protocol: tcp
    ports: [${port}]
    security: ${security}
`;
}
