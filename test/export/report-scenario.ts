/**
 * One audit with a flow of each interesting kind, for the report writers' tests: the expected
 * connections are seen, silent (required) and silent (optional); the flows are allowed, insecure,
 * unverified, wrong-initiator, unknown-peer, unexpected and a notice.
 */
import { emptySummary } from '../../src/capture/packet-sink.js';
import type { ReadFlowsResult } from '../../src/pipeline/read-flows.js';
import { audit, flow, HTTP_GET, HTTP_OK, inventoryIndex, matrixFrom, TLS_CLIENT_HELLO, TLS_SERVER_HELLO } from '../audit/audit-fixtures.js';

export const REPORT_MATRIX = `apiVersion: flowaudit.dev/v1
kind: ConnectionMatrix
metadata:
  name: reports
  title: Reports test matrix
components:
  web:
    match:
      - cidrs: ["10.0.1.0/24"]
  api:
    match:
      - cidrs: ["10.0.2.0/24"]
  db:
    match:
      - cidrs: ["10.0.3.0/24"]
  logs:
    match:
      - cidrs: ["10.0.7.0/24"]
connections:
  - id: web-to-api
    from: web
    to: api
    protocol: tcp
    ports: [443]
    security: tls
    source: { document: "Vendor ports page", row: "web -> api 443 TLS" }
  - id: api-to-db
    from: api
    to: db
    protocol: tcp
    ports: [5432, "6000-6001"]
    security: none
  - id: api-to-logs
    from: api
    to: logs
    protocol: tcp
    ports: [20001]
    security: tls
  - id: web-to-logs
    from: web
    to: logs
    protocol: tcp
    ports: [20002]
    security: none
    optional: true
  - id: db-backup
    from: db
    to: logs
    protocol: tcp
    ports: [7000]
    security: none
    severity: notice
    optional: true
`;

/** 2023-11-14T22:13:20Z */
export const T0 = 1_700_000_000;

export function reportScenario() {
  const matrix = matrixFrom(REPORT_MATRIX);
  const flows = [
    flow({ id: 1, client: '10.0.1.5:40001', server: '10.0.2.8:443', toServer: TLS_CLIENT_HELLO, toClient: TLS_SERVER_HELLO, firstSeen: T0, lastSeen: T0 + 10, packets: [5, 4], bytes: [500, 400] }),
    flow({ id: 2, client: '10.0.1.5:40002', server: '10.0.2.8:443', toServer: HTTP_GET, toClient: HTTP_OK, firstSeen: T0 + 20, lastSeen: T0 + 21, packets: [3, 3], bytes: [300, 350] }),
    flow({ id: 3, client: '10.0.1.6:40003', server: '10.0.2.9:443', firstSeen: T0 + 30, lastSeen: T0 + 31, packets: [2, 1], bytes: [120, 60] }),
    flow({ id: 4, client: '10.0.2.8:40004', server: '10.0.1.5:443', firstSeen: T0 + 40, lastSeen: T0 + 41, packets: [1, 1], bytes: [60, 40] }),
    flow({ id: 5, client: '10.0.2.8:40005', server: '10.0.3.3:6001', firstSeen: T0 + 50, lastSeen: T0 + 3600, packets: [1000, 2000], bytes: [100_000, 2_000_000] }),
    flow({ id: 6, client: '172.16.0.1:40006', server: '10.0.2.8:443', firstSeen: T0 + 60, lastSeen: T0 + 61, packets: [1, 0], bytes: [60, 0] }),
    flow({ id: 7, client: '10.0.1.5:40007', server: '10.0.3.3:22', firstSeen: T0 + 70, lastSeen: T0 + 71, packets: [2, 2], bytes: [100, 100] }),
    flow({ id: 8, client: '10.0.1.5:40008', server: '10.0.3.3:22', firstSeen: T0 + 80, lastSeen: T0 + 81, packets: [2, 2], bytes: [100, 100] }),
    flow({ id: 9, client: '10.0.3.3:40009', server: '10.0.7.1:7000', firstSeen: T0 + 90, lastSeen: T0 + 95, packets: [4, 4], bytes: [400, 400] }),
  ];
  return { matrix, ...audit(matrix, inventoryIndex('entries: []\n'), flows) };
}

/** What readFlows returns, for one capture of `packets` packets. */
export function fakeRun(): ReadFlowsResult {
  const capture = emptySummary('capture.pcap');
  capture.format = 'pcap';
  capture.packets = 42;
  capture.bytes = 4200;
  capture.resolvedNames.set('10.0.2.8', ['api.local']);
  return {
    captures: [capture],
    decode: { ok: 42 },
    tunnels: { decapsulated: {}, notDecoded: {} },
    table: { packets: 42, flowsStarted: 9, flowsEmitted: 9, evicted: 0, portReuses: 0, activeTimeouts: 0, peakLive: 9, payloadBudgetExhausted: 0 },
  };
}
