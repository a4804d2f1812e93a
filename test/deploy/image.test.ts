/**
 * The container image (Dockerfile, docs/image.md): scripts/build-image.sh builds it with buildah
 * from base images made from Debian packages and runs it; this test holds what it reports, and
 * reads the built image's configuration itself. Minutes long (docs/image.md gives the times), so
 * it runs with CI=true and FLOWAUDIT_IMAGE_TEST=1 (`npm run test:image`) and skips otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gate } from '../support/tshark.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;
const IMAGE = `localhost/flowaudit:${VERSION}`;
const SKIP_REASON = 'image build (5 min cold, 32 s warm) runs in CI and with `npm run test:image`';
const wanted = process.env.CI === 'true' || process.env.FLOWAUDIT_IMAGE_TEST === '1';
if (!wanted) console.warn(`skipping: ${SKIP_REASON}`);
const root = gate(process.getuid?.() === 0 ? null : 'needs root (mmdebstrap and buildah build and mount images)');

/** The "== " result lines of build-image.sh, by their label (the text before the first ": "). */
function results(stdout: string): Map<string, string> {
  const lines = stdout.split('\n').filter((l) => l.startsWith('== '));
  return new Map(lines.map((l) => {
    const at = l.indexOf(': ');
    return at < 0 ? [l.slice(3), ''] : [l.slice(3, at), l.slice(at + 2)];
  }));
}

/** Runs build-image.sh without blocking the test worker for the minutes it takes. */
function buildImage(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['scripts/build-image.sh'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe.skipIf(!wanted || root.skip)(`the image built from the Dockerfile${wanted ? root.suffix : ` [skipped: ${SKIP_REASON}]`}`, () => {
  it('builds, runs as uid 65532, analyzes the sample as the golden run, and holds no build tool', async () => {
    root.assertAvailable();
    const run = await buildImage();
    expect(run.status, run.stderr.slice(-4000)).toBe(0);
    const r = results(run.stdout);
    expect(r.get('image')).toMatch(new RegExp(`^${IMAGE.replace(/[.]/g, '\\.')}, `));
    expect(r.get('flowaudit --version')).toBe(VERSION);
    expect(r.get('uid')).toBe('65532:65532');
    // The loader's libraries load and it checks its capabilities; watch finds it at the package
    // root (not "the eBPF loader is not built"); the cap addon loads with libpcap.
    expect(r.get('loader')).toBe('exit 3: flowaudit-loader: missing capability CAP_BPF (to load the eBPF programs and create and read their maps)');
    expect(r.get('watch --engine ebpf')).toBe('exit 2: flowaudit: watch --engine ebpf: missing capability CAP_BPF (to load the eBPF programs and create and read their maps)');
    expect(r.get('watch --engine pcap')).toMatch(/^exit 2: flowaudit: lo: .*live capture needs the CAP_NET_RAW capability/);
    expect(r.get('analyze test/fixtures/profiles/apigee-hybrid-1.4.pcapng')).toBe('exit 1, summary same as test/golden/analyze/apigee-hybrid-1.4/summary.txt');
    expect(r.get('build tools in the build base (control)')).toEqual(expect.stringContaining('gcc'));
    expect(r.get('build tools in the build base (control)')).toEqual(expect.stringContaining('clang'));
    expect(r.get('build tools in the runtime image')).toBe('none');
    expect(r.has('ok')).toBe(true);

    const inspect = spawnSync('buildah', ['inspect', '--type', 'image', IMAGE], { encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(inspect.status, inspect.stderr).toBe(0);
    type ImageConfig = { User: string; Entrypoint: string[]; Labels: Record<string, string> };
    const { User, Entrypoint, Labels } = (JSON.parse(inspect.stdout) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
    expect(User).toBe('65532:65532');
    expect(Entrypoint).toEqual(['flowaudit']);
    expect(Labels['org.opencontainers.image.version']).toBe(VERSION);
  }, 40 * 60_000);
});
