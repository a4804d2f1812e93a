/**
 * Where the eBPF loader binary is found when no path is given: beside the bundled CLI
 * (dist/bin/flowaudit-loader, where a package or image puts it), else the one `make -C native`
 * built in the checkout (native/build/flowaudit-loader; two directories above both src/engine
 * and dist/bin).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LOADER_CANDIDATES: readonly string[] = [
  fileURLToPath(new URL('flowaudit-loader', import.meta.url)),
  fileURLToPath(new URL('../../native/build/flowaudit-loader', import.meta.url)),
];

/** The first candidate that exists; the built one's path if none does (so errors name what to build). */
export function defaultLoaderPath(): string {
  return LOADER_CANDIDATES.find((path) => existsSync(path)) ?? LOADER_CANDIDATES[LOADER_CANDIDATES.length - 1];
}
