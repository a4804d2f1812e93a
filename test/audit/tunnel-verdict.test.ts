import { describe, expect, it } from 'vitest';
import { audit, flow, inventoryIndex, webApiMatrix } from './audit-fixtures.js';

const MATRIX = webApiMatrix('tunnels', `  - id: web-to-api-http
    from: web
    to: api
    protocol: tcp
    ports: [8080]
    security: none
`);
const NODES = inventoryIndex('entries: []\n');
const vxlanBetweenNodes = { ...flow({ client: '192.168.50.1:49152', server: '192.168.50.2:4789', protocol: 17 }), encapsulates: 'vxlan' };
const tunnel = { type: 'vxlan', id: 42, outerClient: '192.168.50.1', outerServer: '192.168.50.2' };

describe('flows of overlay tunnels in the audit', () => {
  it('an outer tunnel flow no rule allows is ignored, not a violation, and says why', () => {
    const { audited, report } = audit(MATRIX, NODES, [vxlanBetweenNodes]);
    expect(audited[0].verdict.kind).toBe('ignored');
    expect(audited[0].verdict.reason).toMatch(/^overlay tunnel \(vxlan\): the flows inside it are audited; .*match no component/);
    expect(audited[0].encapsulates).toBe('vxlan');
    expect(report.flows.filter((f) => f.verdict.kind === 'unknown-peer')).toHaveLength(0);
  });

  it('the same UDP flow without a tunnel inside is judged as usual', () => {
    const { encapsulates: _, ...plain } = vxlanBetweenNodes;
    expect(audit(MATRIX, NODES, [plain]).audited[0].verdict.kind).toBe('unknown-peer');
  });

  it('a flow inside a tunnel is judged by its own (the pods\') addresses and keeps its tunnel', () => {
    const allowed = { ...flow({ client: '10.0.1.5:40000', server: '10.0.2.9:8080', toServer: Buffer.from('GET / HTTP/1.1\r\n\r\n') }), tunnel };
    const violating = { ...flow({ client: '10.0.1.5:40001', server: '10.0.2.9:9999' }), tunnel };
    const { audited } = audit(MATRIX, NODES, [allowed, violating]);
    expect(audited.map((f) => [f.verdict.kind, f.tunnel])).toEqual([
      ['allowed', tunnel],
      ['unexpected', tunnel],
    ]);
  });
});
