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

export interface LiveIdentityCliOptions {
  kubernetes?: boolean;
  kubeconfig?: string;
}

/** `watch`'s live identity sources: the Kubernetes API, in-cluster or through a kubeconfig. */
export function addLiveIdentityOptions(command: Command): Command {
  return command
    .option('--kubernetes', 'follow pods, Services and nodes through the Kubernetes API, as the pod\'s service account (needs get, list and watch on them)')
    .option('--kubeconfig <file>', 'with --kubernetes (implied): reach the API as this kubeconfig\'s current context says, not as the pod\'s service account');
}
