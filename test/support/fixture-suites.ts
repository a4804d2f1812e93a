/**
 * A test suite run twice over a capture of real exchanges: on the committed fixture, and on one
 * made now with the tools (skipped with the reason when they are missing, a failure under
 * CI=true). FLOWAUDIT_UPDATE_FIXTURES=1 rewrites the committed fixture with the one made now.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe } from 'vitest';
import { missingTool, reportBlocked } from './tls-dns-tools.js';
import { newTempDir } from './temp-dir.js';

export type MakeCapture = () => Promise<{ path: string; cleanup?: () => void }>;

export function committedAndMadeNow(options: {
  readonly fixture: string;
  /** What the made-now suite makes, and with what: "made now with openssl and curl". */
  readonly madeNow: string;
  readonly tools: readonly string[];
  readonly make: () => Promise<Buffer>;
  readonly suite: (label: string, makeCapture: MakeCapture) => void;
}): void {
  const name = basename(options.fixture);
  options.suite(`committed capture (test/fixtures/tls/${name})`, async () => ({ path: options.fixture }));
  const missing = missingTool(options.tools);
  if (missing !== undefined) {
    describe('made now', () => reportBlocked(`${options.madeNow}`, `${missing} is not installed`));
    return;
  }
  options.suite(options.madeNow, async () => {
    const dir = newTempDir('fixture').path;
    const capture = await options.make();
    if (process.env.FLOWAUDIT_UPDATE_FIXTURES === '1') writeFileSync(options.fixture, capture);
    const path = join(dir, name);
    writeFileSync(path, capture);
    return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  });
}
