/** The agent's own metrics endpoint: its scrapes are judged `ignored` as the agent's own, not as unknown peers. */
import { describe, expect, it } from 'vitest';
import type { AuditedFlow } from '../../src/audit/audited-flow.js';
import { LiveAuditor } from '../../src/audit/live-auditor.js';
import { OwnEndpoint } from '../../src/audit/own-endpoint.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import { flow, HTTP_GET, WEB_TO_API_TLS, webApiMatrix } from './audit-fixtures.js';
import { RecordingSink } from '../support/recording-sink.js';

const HOST_INTERFACES = {
  lo: [{ address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' }],
  eth0: [{ address: '10.0.9.9', family: 'IPv4' }, { address: 'fd00:0:0::9', family: 'IPv6' }],
} as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;

function judged(own: OwnEndpoint | undefined, ...flows: ReturnType<typeof flow>[]): AuditedFlow[] {
  const recording = new RecordingSink();
  const auditor = new LiveAuditor(webApiMatrix('own', WEB_TO_API_TLS), new IdentityIndex(), [recording]);
  if (own !== undefined) auditor.ownEndpoint(own);
  for (const f of flows) auditor.onFlow(f);
  return recording.audited;
}

describe('OwnEndpoint', () => {
  const scrape = flow({ id: 1, client: '10.0.7.7:40000', server: '10.0.9.9:9847', toServer: HTTP_GET });

  it('without it, a scrape of the agent is an unknown peer', () => {
    expect(judged(undefined, scrape).map((f) => f.verdict.kind)).toEqual(['unknown-peer']);
  });

  it('judges flows to the endpoint ignored, naming the agent, on every host address of a wildcard bind', () => {
    const own = OwnEndpoint.bound('::', 9847, HOST_INTERFACES);
    const v6 = flow({ id: 2, client: '[fd00::7]:40000', server: '[fd00::9]:9847', toServer: HTTP_GET });
    const [a, b] = judged(own, scrape, v6);
    expect(a.verdict).toMatchObject({ kind: 'ignored', reason: "the agent's own metrics endpoint (*:9847)", clientRole: '10.0.7.7', serverRole: 'flowaudit' });
    expect(a.verdict.ruleId).toBeUndefined();
    expect(b.verdict.kind).toBe('ignored');
  });

  it('keeps judging the same port on other hosts, other ports and UDP against the matrix', () => {
    const own = OwnEndpoint.bound('0.0.0.0', 9847, HOST_INTERFACES);
    const otherHost = flow({ id: 3, client: '10.0.7.7:40000', server: '10.0.9.8:9847', toServer: HTTP_GET });
    const otherPort = flow({ id: 4, client: '10.0.7.7:40000', server: '10.0.9.9:9848', toServer: HTTP_GET });
    const udp = flow({ id: 5, client: '10.0.7.7:40000', server: '10.0.9.9:9847', protocol: 17 });
    // 0.0.0.0 takes IPv4 only: the IPv6 address of the same host is not the endpoint.
    const v6 = flow({ id: 6, client: '[fd00::7]:40000', server: '[fd00::9]:9847', toServer: HTTP_GET });
    expect(judged(own, otherHost, otherPort, udp, v6).map((f) => f.verdict.kind)).toEqual(['unknown-peer', 'unknown-peer', 'unknown-peer', 'unknown-peer']);
  });

  it('takes a bound address as it is, and finds the agent at the client end when the SYN was missed', () => {
    const own = OwnEndpoint.bound('127.0.0.1', 9847, HOST_INTERFACES);
    const reversed = flow({ id: 7, client: '127.0.0.1:9847', server: '127.0.0.1:40000', toServer: HTTP_GET });
    const [f] = judged(own, reversed, scrape);
    expect(f.verdict).toMatchObject({ kind: 'ignored', reason: "the agent's own metrics endpoint (127.0.0.1:9847)", clientRole: 'flowaudit', serverRole: '127.0.0.1' });
    expect(judged(own, scrape)[0].verdict.kind).toBe('unknown-peer');
  });
});
