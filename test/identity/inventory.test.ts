import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { aliasBomb } from '../support/hostile-yaml.js';
import { describe, expect, it } from 'vitest';
import { SourcePositionError } from '../../src/source-position-error.js';
import { loadInventory, parseInventory } from '../../src/identity/inventory.js';
import { tempDir } from '../support/temp-dir.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The one-line error parseInventory throws for `text`, shown as inv.yaml. */
function errorOf(text: string): string {
  try {
    parseInventory(text, 'inv.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SourcePositionError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('loadInventory', () => {
  it('reads entries with their blocks, components, labels, hostnames and source lines', () => {
    const file = join(FIXTURES, 'inventory.yaml');
    const inventory = loadInventory(file, 'inventory.yaml');
    expect(inventory.file).toBe('inventory.yaml');
    expect(inventory.entries.map((e) => e.identity)).toEqual([
      { source: 'inventory.yaml:5', name: 'cassandra-us-east1', components: ['cassandra-other-region'], labels: { region: 'us-east1' } },
      { source: 'inventory.yaml:10', name: 'cassandra-us-east1-seed', components: ['cassandra-other-region'], labels: { region: 'us-east1', role: 'seed' } },
      { source: 'inventory.yaml:16', name: 'corp-egress-proxy', components: [], labels: {} },
      { source: 'inventory.yaml:19', name: 'datacenter', components: [], labels: { zone: 'onprem' } },
    ]);
    expect(inventory.entries[2].blocks.map((b) => b.text)).toEqual(['192.168.50.10/32', '2001:db8:50::10/128']);
    expect(inventory.entries[3].blocks.map((b) => b.text)).toEqual(['10.0.0.0/8', 'fd00::/8']);
    // Hostnames are stored as the matrix compares them: lower case, no trailing dot.
    expect(inventory.entries[2].names).toEqual([
      { name: 'proxy.corp.example', source: 'inventory' },
      { name: 'proxy2.corp.example', source: 'inventory' },
    ]);
    expect(Object.isFrozen(inventory.entries[0].identity)).toBe(true);
  });

  it('takes the minimal form: a bare entries list, unquoted IPv6', () => {
    const inventory = parseInventory('entries:\n  - name: v6-host\n    addresses: [fd00::1, 2001:db8::/32]\n', 'inv.yaml');
    expect(inventory.entries[0].blocks.map((b) => b.text)).toEqual(['fd00::1/128', '2001:db8::/32']);
  });

  it('accepts an empty entries list and YAML anchors', () => {
    expect(parseInventory('entries: []\n', 'inv.yaml').entries).toEqual([]);
    const text = 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: &l { app: x }\n  - name: b\n    addresses: [10.0.0.2]\n    labels: *l\n';
    expect(parseInventory(text, 'inv.yaml').entries[1].identity.labels).toEqual({ app: 'x' });
  });

  it('reads UTF-16 files with a BOM, as PowerShell writes them', () => {
    const dir = tempDir('identity');
    const text = 'entries:\n  - name: w\n    addresses: ["10.9.9.9"]\n';
    const file = dir.write('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(loadInventory(file).entries[0].identity.name).toBe('w');
    const bom8 = dir.write('utf8bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(loadInventory(bom8).entries[0].identity.source).toBe(`${bom8}:2`);
  });
});

describe('inventory errors: one line, FILE:LINE:COL', () => {
  it('names a file that cannot be read', () => {
    const dir = tempDir('identity');
    expect(() => loadInventory(join(dir.path, 'missing.yaml'), 'missing.yaml')).toThrow(/^missing\.yaml: no such file$/);
    expect(() => loadInventory(dir.path, 'dir')).toThrow(/^dir: is a directory, not a regular file: an inventory must be a regular file$/);
  });

  it('refuses special files by their type and big files by their size, unread', () => {
    const dir = tempDir('identity');
    expect(() => loadInventory('/dev/zero')).toThrow(/^\/dev\/zero: is a character device, not a regular file: an inventory must be a regular file$/);
    const big = dir.write('big.yaml', '');
    truncateSync(big, 8 * 1024 * 1024 + 1);
    expect(() => loadInventory(big, 'big.yaml')).toThrow(/^big\.yaml: is 8388609 bytes; the limit for an inventory is 8388608 bytes \(8 MiB\)$/);
  });

  it.each([
    ['YAML syntax', 'entries:\n  - name: a\n    addresses: [10.0.0.1\n', /^inv\.yaml:4:1: YAML: /],
    ['duplicate key', 'entries:\n  - name: a\n    name: b\n    addresses: [10.0.0.1]\n', 'inv.yaml:3:5: duplicate key "name": a key may appear only once in a map'],
    ['empty file', '# nothing yet\n', 'inv.yaml:1:1: the inventory is empty: expected a map with an "entries" list'],
    ['top-level list', '- name: a\n', 'inv.yaml:1:1: an inventory must be a map'],
    ['no entries', 'kind: Inventory\n', 'inv.yaml:1:1: the inventory has no "entries" list'],
    ['unknown top key', 'entries: []\nhosts: []\n', 'inv.yaml:2:1: unknown key "hosts" in the inventory: expected apiVersion, kind, entries'],
    ['rules file', 'apiVersion: flowaudit.dev/v1\nkind: ConnectionMatrix\n', 'inv.yaml:2:7: "kind" must be "Inventory"'],
    ['wrong apiVersion', 'apiVersion: v2\nentries: []\n', 'inv.yaml:1:13: "apiVersion" must be "flowaudit.dev/v1"'],
    ['entries not a list', 'entries:\n  a: 1\n', 'inv.yaml:2:3: "entries" must be a list'],
    ['entry not a map', 'entries:\n  - 10.0.0.1\n', 'inv.yaml:2:5: an inventory entry must be a map'],
    ['unknown entry key', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    label: { app: x }\n', 'inv.yaml:4:5: unknown key "label" in an inventory entry: expected name, addresses, components, labels, hostnames'],
    ['no name', 'entries:\n  - addresses: [10.0.0.1]\n', 'inv.yaml:2:5: an inventory entry has no "name"'],
    ['empty name', 'entries:\n  - name:\n    addresses: [10.0.0.1]\n', 'inv.yaml:2:10: "name" must be a non-empty string'],
    ['numeric name', 'entries:\n  - name: 42\n    addresses: [10.0.0.1]\n', 'inv.yaml:2:11: "name" must be a string: quote it ("42")'],
    ['no addresses', 'entries:\n  - name: a\n', 'inv.yaml:2:5: entry "a" has no "addresses"'],
    ['addresses not a list', 'entries:\n  - name: a\n    addresses: 10.0.0.1\n', 'inv.yaml:3:16: "addresses" must be a list'],
    ['empty addresses', 'entries:\n  - name: a\n    addresses: []\n', 'inv.yaml:3:16: "addresses" must list at least one address or CIDR'],
    ['invalid address', 'entries:\n  - name: a\n    addresses: ["10.0.0.1", "10.0.0.256"]\n', 'inv.yaml:3:29: "10.0.0.256" is not a CIDR: "10.0.0.256" is not an IPv4 or IPv6 address'],
    ['host bits', 'entries:\n  - name: a\n    addresses:\n      - 10.0.1.0/16\n', 'inv.yaml:4:9: "10.0.1.0/16" has host bits set: the network is 10.0.0.0/16'],
    ['bad prefix', 'entries:\n  - name: a\n    addresses: ["fd00::/200"]\n', 'inv.yaml:3:17: "fd00::/200" is not a CIDR: prefix length must be 0-128'],
    ['numeric address', 'entries:\n  - name: a\n    addresses: [167772161]\n', 'inv.yaml:3:17: an address must be a string: quote it ("167772161")'],
    ['bad component', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    components: [Message Processor]\n', `inv.yaml:4:18: "Message Processor" is not a component name: lower-case letters, digits, '.', '_' and '-'`],
    ['labels not a map', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: [app]\n', 'inv.yaml:4:13: "labels" must be a map'],
    ['label read as a number', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: { version: 1.10 }\n', 'inv.yaml:4:24: label "version" must be a string: quote it ("1.10")'],
    ['wildcard hostname', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    hostnames: ["*.corp.example"]\n', 'inv.yaml:4:17: "*.corp.example" is not a hostname (wildcards belong in the matrix, not here)'],
    ['duplicate name', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n  - name: a\n    addresses: [10.0.0.2]\n', 'inv.yaml:4:11: duplicate entry name "a": first at inv.yaml:2'],
    ['alias bomb', `${aliasBomb(9)}entries: []\n`, `inv.yaml:6:10: aliases expand the document to more than 100000 values (an alias bomb?)`],
    ['alias with no anchor', 'entries:\n  - name: a\n    addresses: [10.0.0.1]\n    labels: *common\n', 'inv.yaml:4:13: alias *common has no anchor &common before it'],
    ['alias inside its anchor', 'entries: &e\n  - name: a\n    addresses: [10.0.0.1]\n    labels: *e\n', 'inv.yaml:4:13: alias *e is inside the value it names (a cycle)'],
    ['long address, quoted as an excerpt', `entries:\n  - name: a\n    addresses: ["${'9'.repeat(5000)}"]\n`, `inv.yaml:3:17: "${'9'.repeat(40)}"... is not a CIDR: "${'9'.repeat(40)}"... is not an IPv4 or IPv6 address`],
    ['long number, quoted as an excerpt', `entries:\n  - name: ${'1'.repeat(5000)}\n    addresses: [10.0.0.1]\n`, `inv.yaml:2:11: "name" must be a string: quote it ("${'1'.repeat(40)}"...)`],
  ])('%s', (_case, text, expected) => {
    const message = errorOf(text);
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });
});
