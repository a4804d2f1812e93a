import { CaptureFormatError } from '../capture/capture-error.js';
import { LiveCaptureError } from '../capture/live-capture.js';
import { SourcePositionError } from '../source-position-error.js';
import { UsageError } from './usage-error.js';

/**
 * The one line (without the "flowaudit: " prefix) that reports a usage or input error, exit 2; or
 * undefined when `err` is none, but a defect to report with its stack.
 */
export function inputErrorMessage(err: unknown): string | undefined {
  // Input errors already carry the file and offset or line:column.
  if (err instanceof CaptureFormatError || err instanceof SourcePositionError || err instanceof UsageError || err instanceof LiveCaptureError) {
    return err.message;
  }
  const sys = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (sys?.syscall === 'listen') {
    return `--listen ${sys.address ?? ''}:${sys.port ?? ''}: ${sys.code === 'EADDRINUSE' ? 'address already in use' : sys.message}`;
  }
  if (typeof sys?.code === 'string' && typeof sys.path === 'string') {
    return `${sys.path}: ${sys.code === 'ENOENT' ? 'no such file' : sys.message}`;
  }
  return undefined;
}
