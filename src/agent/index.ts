/**
 * What `flowaudit watch` loads when it runs, as one dynamic import (one chunk of the CLI bundle,
 * see src/cli/audit-commands.ts): the agent and its Prometheus, pino and TLS modules stay out of
 * every other command's start.
 */
export { Agent } from './agent.js';
export { agentLogger } from './agent-logger.js';
export { libpcapSources } from './libpcap-sources.js';
export { runUntilSignalled } from './run-until-signalled.js';
export { ebpfSources } from './ebpf-sources.js';
export { LoaderStartError } from '../engine/loader-supervisor.js';
