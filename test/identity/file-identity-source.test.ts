/**
 * Inventory files and snapshots as an identity source: a reload delivers the difference (upserts
 * of what changed, deletes of what went), at the reload's time, or nothing when a file is bad.
 */
import { describe, expect, it } from 'vitest';
import { FileIdentitySource } from '../../src/identity/file-identity-source.js';
import { IdentityIndex } from '../../src/identity/identity-index.js';
import type { IdentityUpdate, IdentityUpdates } from '../../src/identity/identity-source.js';
import { SourcePositionError } from '../../src/source-position-error.js';
import { list, pod } from '../audit/audit-fixtures.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('identity');

/** Passes batches on to an index, keeping each. */
class RecordingIndex implements IdentityUpdates {
  readonly index = new IdentityIndex();
  readonly batches: { at: number; updates: readonly IdentityUpdate[] }[] = [];
  apply(at: number, updates: readonly IdentityUpdate[]): void {
    this.batches.push({ at, updates });
    this.index.apply(at, updates);
  }
}

const uidPod = (uid: string, name: string, ip: string, labels: Record<string, string> = {}): Record<string, unknown> => {
  const item = pod({ namespace: 'shop', name, ip, labels });
  return { ...item, metadata: { ...(item.metadata as object), uid } };
};
const describeBatch = (updates: readonly IdentityUpdate[]): string[] => updates.map((u) => `${u.op} ${u.key}`);

describe('FileIdentitySource', () => {
  it('delivers the files as known since ever, then each reload as upserts and deletes at the reload time', () => {
    const snapshot = dir.write('cluster.json', JSON.stringify(list([uidPod('u1', 'cart', '10.1.0.5'), uidPod('u2', 'web', '10.1.0.6')])));
    const inventory = dir.write('inv.yaml', 'entries:\n  - name: db\n    addresses: [10.9.0.1]\n');
    let now = 1000;
    const source = new FileIdentitySource({ inventory: [inventory], k8sSnapshot: [snapshot] }, undefined, () => now);
    const recording = new RecordingIndex();
    const { index, batches } = recording;
    source.start(recording);
    expect(batches.at(-1)).toEqual({ at: -Infinity, updates: expect.any(Array) });
    expect(describeBatch(batches.at(-1)!.updates)).toEqual([`upsert ${inventory}#db`, 'upsert u1', 'upsert u2']);

    // cart is recreated (new UID) at another IP, web changes a label, the inventory is unchanged.
    dir.write('cluster.json', JSON.stringify(list([uidPod('u3', 'cart', '10.1.0.7'), uidPod('u2', 'web', '10.1.0.6', { v: '2' })])));
    now = 2000;
    expect(source.reload()).toBe(3);
    expect(batches.at(-1)!.at).toBe(2000);
    expect(describeBatch(batches.at(-1)!.updates)).toEqual(['upsert u3', 'upsert u2', 'delete u1']);
    expect(index.identify('10.1.0.5', 1500).kubernetes.map((o) => o.name)).toEqual(['cart']);
    expect(index.identify('10.1.0.5', 2000 + 3600).kubernetes).toEqual([]);
    expect(index.identify('10.1.0.7').kubernetes.map((o) => o.name)).toEqual(['cart']);
    expect(index.identify('10.1.0.6').kubernetes[0].labels).toEqual({ v: '2' });

    // Nothing changed: nothing delivered, and the cached identities stay.
    const kept = index.identify('10.9.0.1');
    const delivered = batches.length;
    expect(source.reload()).toBe(0);
    expect(batches.length).toBe(delivered);
    expect(index.identify('10.9.0.1')).toBe(kept);
  });

  it('delivers nothing from a reload that fails, and says where', () => {
    const snapshot = dir.write('good.json', JSON.stringify(list([uidPod('u1', 'cart', '10.1.0.5')])));
    const updates = new RecordingIndex();
    const source = new FileIdentitySource({ inventory: [], k8sSnapshot: [snapshot] });
    source.start(updates);
    dir.write('good.json', '{"items": [');
    expect(() => source.reload()).toThrow(SourcePositionError);
    expect(() => source.reload()).toThrow(/good\.json:1:\d+: JSON/);
    expect(updates.batches).toHaveLength(1);
  });

  it('refuses, before applying anything, inventories its check refuses', () => {
    const inventory = dir.write('checked.yaml', 'entries:\n  - name: db\n    addresses: [10.9.0.1]\n');
    const recording = new RecordingIndex();
    const source = new FileIdentitySource({ inventory: [inventory], k8sSnapshot: [] });
    source.start(recording);
    expect(() =>
      source.reload(() => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(recording.batches).toHaveLength(1);
  });
});
