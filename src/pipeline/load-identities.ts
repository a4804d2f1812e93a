import type { Matrix } from '../audit/matrix.js';
import type { IdentityProvider } from '../identity/endpoint-identity.js';
import { IdentityIndex } from '../identity/identity-index.js';
import { loadInventory } from '../identity/inventory.js';
import { loadKubernetesSnapshot } from '../identity/kubernetes-snapshot.js';
import { SourcePositionError, excerpt } from '../source-position-error.js';

/** The identity sources a run names: inventory files and Kubernetes snapshots. */
export interface IdentityFiles {
  readonly inventory: readonly string[];
  readonly k8sSnapshot: readonly string[];
}

/**
 * Loads every identity source; throws SourcePositionError (file:line:col) on the first bad one,
 * including an inventory entry that names a component the matrix does not define (a typo would
 * otherwise silently match nothing).
 */
export function loadIdentities(options: IdentityFiles, matrix: Matrix): IdentityProvider {
  const inventories = options.inventory.map((file) => loadInventory(file));
  for (const inventory of inventories) {
    for (const { identity } of inventory.entries) {
      const unknown = identity.components.find((c) => !matrix.components.has(c));
      if (unknown === undefined) continue;
      const line = Number(identity.source.slice(identity.source.lastIndexOf(':') + 1));
      throw new SourcePositionError(inventory.file, line, 1, `entry ${excerpt(identity.name)} names component ${excerpt(unknown)}, which matrix ${matrix.name} does not define`);
    }
  }
  return new IdentityIndex({ inventories, snapshots: options.k8sSnapshot.map((file) => loadKubernetesSnapshot(file)) });
}
