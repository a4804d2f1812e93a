import type { LiveCaptureOptions } from '../capture/live-capture.js';
import type { CaptureEvents } from '../capture/reopening-capture.js';
import { LibpcapSource } from '../pipeline/libpcap-source.js';
import type { Logger } from './agent-logger.js';
import type { SourceFactory } from './agent.js';

/** The agent's sources for `watch --interface`: one libpcap capture per interface, its reopenings logged. */
export function libpcapSources(captures: readonly LiveCaptureOptions[]): SourceFactory {
  return (log) => captures.map((options) => new LibpcapSource(options, captureEvents(log, options.interface)));
}

/** Log lines for a capture's interface going away and coming back. */
function captureEvents(log: Logger, name: string): CaptureEvents {
  return {
    stopped: (error, retryInMs) => log.error({ interface: name, error: error.message, retryInMs }, 'capture stopped; reopening'),
    retryFailed: (error, retryInMs) => log.warn({ interface: name, error: error.message, retryInMs }, 'capture not reopened; retrying'),
    reopened: (linkType, downMs) => log.info({ interface: name, linkType, downMs }, 'capture reopened'),
  };
}
