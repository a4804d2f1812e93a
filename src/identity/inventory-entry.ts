import type { Node } from 'yaml';
import { parseCidr, type Cidr } from '../net/cidr.js';
import type { InventoryIdentity, NameEvidence } from './endpoint-identity.js';
import { excerpt } from '../source-position-error.js';
import type { YamlSource } from '../yaml-source.js';

/** One inventory entry: who it is, and the addresses and blocks it covers. */
export interface InventoryEntry {
  readonly identity: InventoryIdentity;
  /** Bare addresses are host routes (/32, /128). */
  readonly blocks: readonly Cidr[];
  /** The entry's `hostnames`, as name evidence for every address it covers. */
  readonly names: readonly NameEvidence[];
}

const ENTRY_KEYS = ['name', 'addresses', 'components', 'labels', 'hostnames'] as const;

/** The rules files' component-name syntax, so an inventory can name any component a matrix defines. */
const COMPONENT_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/** Lower-case DNS name without a trailing dot (underscores allowed, as in service records). */
const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** Reads one item of `entries`; throws a SourcePositionError at the offending value. */
export function parseInventoryEntry(source: YamlSource, node: Node | null): InventoryEntry {
  const map = source.map(node, 'an inventory entry');
  let name: string | undefined;
  let blocks: Cidr[] | undefined;
  let components: string[] = [];
  let labels: Record<string, string> = {};
  let names: NameEvidence[] = [];
  for (const { key, value } of source.pairs(map, 'an inventory entry', ENTRY_KEYS)) {
    if (key === 'name') name = source.string(value, '"name"');
    else if (key === 'addresses') blocks = readBlocks(source, value);
    else if (key === 'components') components = readComponents(source, value);
    else if (key === 'labels') labels = readLabels(source, value);
    else names = readHostnames(source, value);
  }
  const shown = name === undefined ? 'an inventory entry' : `entry ${excerpt(name)}`;
  if (name === undefined) throw source.error(map, `${shown} has no "name"`);
  if (blocks === undefined) throw source.error(map, `${shown} has no "addresses"`);
  return Object.freeze({
    identity: Object.freeze({ source: source.lineOf(map), name, components: Object.freeze(components), labels: Object.freeze(labels) }),
    blocks: Object.freeze(blocks),
    names: Object.freeze(names),
  });
}

function readBlocks(source: YamlSource, node: Node | null): Cidr[] {
  const items = source.items(source.seq(node, '"addresses"'));
  if (items.length === 0) throw source.error(node, '"addresses" must list at least one address or CIDR');
  return items.map((item) => {
    const parsed = parseCidr(source.string(item, 'an address'));
    if (!parsed.ok) throw source.error(item, parsed.error);
    return Object.freeze(parsed.value);
  });
}

function readComponents(source: YamlSource, node: Node | null): string[] {
  return source.items(source.seq(node, '"components"')).map((item) => {
    const component = source.string(item, 'a component name');
    if (!COMPONENT_NAME.test(component)) {
      throw source.error(item, `${excerpt(component)} is not a component name: lower-case letters, digits, '.', '_' and '-'`);
    }
    return component;
  });
}

function readLabels(source: YamlSource, node: Node | null): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const { key, value } of source.pairs(source.map(node, '"labels"'), '"labels"')) {
    labels[key] = source.string(value, `label ${excerpt(key)}`);
  }
  return labels;
}

function readHostnames(source: YamlSource, node: Node | null): NameEvidence[] {
  return source.items(source.seq(node, '"hostnames"')).map((item) => {
    // DNS names compare case-insensitively and may be written fully qualified: store them as the
    // matrix's hostname patterns expect them, lower-case without the trailing dot.
    const name = source.string(item, 'a hostname').toLowerCase().replace(/\.$/, '');
    if (!HOSTNAME.test(name)) throw source.error(item, `${excerpt(name)} is not a hostname (wildcards belong in the matrix, not here)`);
    return Object.freeze({ name, source: 'inventory' as const });
  });
}
