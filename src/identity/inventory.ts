/**
 * Inventories: YAML files mapping addresses and CIDR blocks to named entries with labels and
 * component names, for hosts Kubernetes does not describe (VMs, other regions, appliances).
 * The format is documented in docs/inventory.md.
 */
import { isScalar, type Node, type YAMLMap } from 'yaml';
import { parseInventoryEntry, type InventoryEntry } from './inventory-entry.js';
import { INPUT_FILES } from '../input-file.js';
import { excerpt } from '../source-position-error.js';
import { readSourceText } from '../source-text.js';
import { YamlSource } from '../yaml-source.js';

export type { InventoryEntry } from './inventory-entry.js';

export interface Inventory {
  /** The file as shown in errors and in each entry's `source`. */
  readonly file: string;
  /** In file order. */
  readonly entries: readonly InventoryEntry[];
}

const TOP_KEYS = ['apiVersion', 'kind', 'entries'] as const;

/** Reads and parses an inventory file; throws a SourcePositionError (`FILE:LINE:COL: message`). */
export function loadInventory(file: string, shownAs: string = file): Inventory {
  return parseInventory(readSourceText(file, INPUT_FILES.inventory, shownAs), shownAs);
}

/** Parses inventory YAML; `file` names it in errors and entry sources. */
export function parseInventory(text: string, file: string): Inventory {
  const source = new YamlSource(text, file);
  if (source.root === null) throw source.error(null, 'the inventory is empty: expected a map with an "entries" list');
  const top = source.map(source.root, 'an inventory');
  let entriesNode: Node | null | undefined;
  for (const { key, value } of source.pairs(top, 'the inventory', TOP_KEYS)) {
    // apiVersion and kind are optional; when present they must say this is an inventory, so a
    // rules file passed where an inventory belongs is refused rather than read as empty.
    if (key === 'apiVersion') expectConstant(source, value, 'apiVersion', 'flowaudit.dev/v1');
    else if (key === 'kind') expectConstant(source, value, 'kind', 'Inventory');
    else entriesNode = value;
  }
  if (entriesNode === undefined) throw source.error(top, 'the inventory has no "entries" list');
  const nodes = source.items(source.seq(entriesNode, '"entries"'));
  const entries = nodes.map((node) => parseInventoryEntry(source, node));
  checkUniqueNames(source, nodes, entries);
  return Object.freeze({ file, entries: Object.freeze(entries) });
}

function expectConstant(source: YamlSource, node: Node | null, key: string, expected: string): void {
  if (!isScalar(node) || node.value !== expected) throw source.error(node, `"${key}" must be "${expected}"`);
}

/** Two entries of one file with one name would be indistinguishable in reports. */
function checkUniqueNames(source: YamlSource, nodes: readonly (Node | null)[], entries: readonly InventoryEntry[]): void {
  const firstLine = new Map<string, string>();
  entries.forEach((entry, i) => {
    const { name, source: line } = entry.identity;
    const first = firstLine.get(name);
    if (first !== undefined) {
      const nameNode = (nodes[i] as YAMLMap).get('name', true) as Node;
      throw source.error(nameNode, `duplicate entry name ${excerpt(name)}: first at ${first}`);
    }
    firstLine.set(name, line);
  });
}
