import type { Command } from 'commander';
import { collect } from './option-parsers.js';

export interface IdentityCliOptions {
  inventory: string[];
  k8sSnapshot: string[];
}

/** The identity sources `analyze`, `watch` and `rules explain` share (loaded by load-identities.ts). */
export function addIdentityOptions(command: Command): Command {
  return command
    .option('-I, --inventory <file>', 'inventory YAML mapping addresses to names, labels and components (repeatable)', collect, [])
    .option('--k8s-snapshot <file>', 'output of `kubectl get pods,services,nodes -A -o json` (repeatable)', collect, []);
}
