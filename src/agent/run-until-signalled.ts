import { once } from 'node:events';
import type { Logger } from './agent-logger.js';
import type { Agent } from './agent.js';

/** Runs a started agent as a service: SIGHUP reloads rules and inventories, SIGTERM or SIGINT stops it cleanly. */
export async function runUntilSignalled(agent: Agent, log: Logger): Promise<void> {
  process.on('SIGHUP', () => agent.reload());
  const signal = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  log.info({ signal: String(signal[0] ?? '') }, 'stopping');
  await agent.stop();
}
