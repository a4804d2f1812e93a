/**
 * Where the eBPF loader binary is found when no path is given, in this order:
 * 1. $FLOWAUDIT_LOADER, if set (used as given, so a wrong path is named in the error);
 * 2. flowaudit-loader at the package root, where an install puts it (the image:
 *    /usr/lib/flowaudit/flowaudit-loader, beside /usr/lib/flowaudit/package.json);
 * 3. native/build/flowaudit-loader, the one `make -C native` built in a checkout.
 * The package root is two directories above this module in every layout: src/engine (tests),
 * dist/engine (tsc) and dist/bin (the bundled CLI). Not dist/bin itself: every build empties it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOADER_ENV = 'FLOWAUDIT_LOADER';

export const LOADER_CANDIDATES: readonly string[] = [
  fileURLToPath(new URL('../../flowaudit-loader', import.meta.url)),
  fileURLToPath(new URL('../../native/build/flowaudit-loader', import.meta.url)),
];

/**
 * $FLOWAUDIT_LOADER if set, else the first candidate that exists, else the last candidate (the
 * checkout's build output, so errors name what `make -C native` would build).
 */
export function defaultLoaderPath(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = LOADER_CANDIDATES): string {
  const given = env[LOADER_ENV];
  if (given !== undefined && given !== '') return resolve(given);
  return candidates.find((path) => existsSync(path)) ?? candidates[candidates.length - 1];
}
