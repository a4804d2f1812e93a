import type { Matrix } from '../audit/matrix.js';
import { FileIdentitySource, type InventoryCheck } from '../identity/file-identity-source.js';
import { IdentityIndex } from '../identity/identity-index.js';
import { SourcePositionError, excerpt } from '../source-position-error.js';

/** The identity sources a run names: inventory files and Kubernetes snapshots. */
export interface IdentityFiles {
  readonly inventory: readonly string[];
  readonly k8sSnapshot: readonly string[];
}

/**
 * Loads every identity source into a new index; throws SourcePositionError (file:line:col) on the
 * first bad one, including an inventory entry that names a component the matrix does not define.
 */
export function loadIdentities(options: IdentityFiles, matrix: Matrix): IdentityIndex {
  const index = new IdentityIndex();
  identityFiles(options, matrix).start(index);
  return index;
}

/** The inventory and snapshot files as a source the agent reloads (`reload(inventoryCheck(newMatrix))`). */
export function identityFiles(options: IdentityFiles, matrix: Matrix): FileIdentitySource {
  return new FileIdentitySource({ inventory: options.inventory, k8sSnapshot: options.k8sSnapshot }, inventoryCheck(matrix));
}

/** Refuses an inventory entry that names a component `matrix` does not define: a typo would otherwise silently match nothing. */
export function inventoryCheck(matrix: Matrix): InventoryCheck {
  return (inventories) => {
    for (const inventory of inventories) {
      for (const { identity } of inventory.entries) {
        const unknown = identity.components.find((c) => !matrix.components.has(c));
        if (unknown === undefined) continue;
        const line = Number(identity.source.slice(identity.source.lastIndexOf(':') + 1));
        throw new SourcePositionError(inventory.file, line, 1, `entry ${excerpt(identity.name)} names component ${excerpt(unknown)}, which matrix ${matrix.name} does not define`);
      }
    }
  };
}
