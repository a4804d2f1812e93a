import { destination, pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The agent's structured log: JSON lines on stderr (stdout may carry violation records), written
 * synchronously so that the last lines before an exit are not lost.
 */
export function agentLogger(level: string): Logger {
  return pino({ name: 'flowaudit', level, base: { pid: process.pid } }, destination({ dest: 2, sync: true }));
}
