/**
 * The configuration in-process agent tests start the agent with: no capture source until one is
 * given, the endpoint on a free loopback port, no warm-up, a 20 ms tick and flush, a one-file
 * violation log.
 */
import type { AgentConfig } from '../../src/agent/agent.js';

export function testAgentConfig(files: { readonly rules: string; readonly violationLog: string }, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    sources: () => [],
    rules: files.rules,
    identities: { inventory: [], k8sSnapshot: [] },
    table: {},
    listen: '127.0.0.1:0',
    violationLog: { path: files.violationLog, maxBytes: 1 << 20, maxFiles: 1 },
    violationsToStdout: false,
    flushIntervalSeconds: 0.02,
    seenWindowSeconds: 600,
    dnsGraceSeconds: 600,
    version: 'test',
    tickMs: 20,
    warmUp: false,
    ...overrides,
  };
}
