import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shipped rules folder. This file sits in src/audit (tests) or dist/audit (built), both two
 * levels under the package root, which holds rules/.
 */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/** Profile names shipped in `dir`: every `NAME.yaml`, sorted. */
export function shippedProfileNames(dir: string = SHIPPED_RULES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** A reference by shipped name (not a path): no slash and no .yaml/.yml suffix. */
export function isProfileName(ref: string): boolean {
  return !ref.includes('/') && !ref.includes('\\') && !/\.ya?ml$/i.test(ref);
}
