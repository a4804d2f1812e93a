import type { Command } from 'commander';
import { collect } from './option-parsers.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import { IdentityIndex } from '../identity/identity-index.js';
import { loadInventory } from '../identity/inventory.js';
import { loadKubernetesSnapshot } from '../identity/kubernetes-snapshot.js';

export interface IdentityCliOptions {
  inventory: string[];
  k8sSnapshot: string[];
}

/** The identity sources `analyze` and `rules explain` share. */
export function addIdentityOptions(command: Command): Command {
  return command
    .option('-i, --inventory <file>', 'inventory YAML mapping addresses to names, labels and components (repeatable)', collect, [])
    .option('--k8s-snapshot <file>', 'output of `kubectl get pods,services,nodes -A -o json` (repeatable)', collect, []);
}

/** Loads every identity source; throws IdentitySourceError (file:line:col) on the first bad one. */
export function loadIdentities(options: IdentityCliOptions): IdentityProvider {
  return new IdentityIndex({
    inventories: options.inventory.map((file) => loadInventory(file)),
    snapshots: options.k8sSnapshot.map((file) => loadKubernetesSnapshot(file)),
  });
}
