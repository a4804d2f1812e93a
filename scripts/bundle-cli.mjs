// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bin/flowaudit.js, the `flowaudit`
// binary. Why: a start of `analyze` loaded about 110 of our ES modules and yaml's 46 CommonJS files
// one by one, and compiling and linking them cost about 0.1 s more than `flows` paid (analyze of a
// 200-packet capture: 0.31-0.37 s unbundled, 0.24-0.27 s bundled; bench/RESULTS.md). Commands still
// load what only they use when they run: each `await import()` becomes its own chunk beside the
// entry (code splitting), so the agent's prom-client and pino stay out of an offline audit's start.
//
// The chunks sit two directories below the package root, as dist/cli/*.js do, so the paths that
// modules build from import.meta.url (../../rules/, ../../package.json) stay right in both.
// Modules that `require` at run time (yaml's Node built-ins, the optional native cap addon) get a
// real `require` from the banner; cap stays outside the bundle.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: without a clean start, every build left its old chunks behind.
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: { flowaudit: 'dist/cli/main.js' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['cap'],
  sourcemap: 'linked',
  banner: { js: "import { createRequire as __flowauditCreateRequire } from 'node:module'; const require = __flowauditCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
