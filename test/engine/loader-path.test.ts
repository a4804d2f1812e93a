/**
 * Where the eBPF loader is looked for: $FLOWAUDIT_LOADER, then the package root (the image's
 * /usr/lib/flowaudit/flowaudit-loader), then the checkout's native/build. The candidates are real
 * files in a temp directory; the image's layout itself is held by test/deploy/image.test.ts.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultLoaderPath, LOADER_CANDIDATES, LOADER_ENV } from '../../src/engine/loader-path.js';
import { tempDir } from '../support/temp-dir.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('defaultLoaderPath', () => {
  const dir = tempDir('loader-path');
  const installed = dir.write('root/flowaudit-loader', '');
  const built = dir.write('root/native/build/flowaudit-loader', '');
  const missingInstalled = dir.file('elsewhere/flowaudit-loader');
  const missingBuilt = dir.file('elsewhere/native/build/flowaudit-loader');

  it('looks at the package root, then native/build, both beside package.json', () => {
    expect(LOADER_CANDIDATES).toEqual([join(PACKAGE_ROOT, 'flowaudit-loader'), join(PACKAGE_ROOT, 'native/build/flowaudit-loader')]);
    expect(existsSync(join(PACKAGE_ROOT, 'package.json'))).toBe(true);
  });

  it('takes the installed loader at the package root before the checkout build', () => {
    expect(defaultLoaderPath({}, [installed, built])).toBe(installed);
  });

  it('takes the checkout build when nothing is installed', () => {
    expect(defaultLoaderPath({}, [missingInstalled, built])).toBe(built);
  });

  it('names the checkout build when neither exists, so the error says what to build', () => {
    expect(defaultLoaderPath({}, [missingInstalled, missingBuilt])).toBe(missingBuilt);
  });

  it(`takes $${LOADER_ENV} over both, even a path that does not exist (the error then names it)`, () => {
    expect(defaultLoaderPath({ [LOADER_ENV]: '/opt/x/flowaudit-loader' }, [installed, built])).toBe('/opt/x/flowaudit-loader');
    expect(defaultLoaderPath({ [LOADER_ENV]: 'bin/loader' }, [installed, built])).toBe(resolve('bin/loader'));
    expect(defaultLoaderPath({ [LOADER_ENV]: '' }, [installed, built])).toBe(installed);
  });
});
