/** The tests' capture files: the one builder, src/synth/capture-file.ts, which bench/'s generators use too. */
export * from '../../src/synth/capture-file.js';
