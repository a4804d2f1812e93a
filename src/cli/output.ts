import { once } from 'node:events';

/** Writes to stdout and waits for it to drain, so large outputs are not cut by process exit. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}
