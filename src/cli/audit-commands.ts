/**
 * What the audit commands (`analyze`, `rules validate|list|explain`) load when they run, as one
 * dynamic import. Each import() target is an entry of the CLI bundle, and esbuild puts every
 * module shared by a distinct set of entries in a chunk of its own: with the three targets these
 * commands had, `analyze` loaded eight files at start, each about 1 ms of Node's module loading
 * however small (bench/RESULTS.md). `flows` still loads none of this.
 */
export { runAnalyze } from './analyze-run.js';
export { loadMatrix } from '../audit/load-matrix.js';
export { loadIdentities } from '../pipeline/load-identities.js';
export { explainFlow } from '../audit/explain-flow.js';
