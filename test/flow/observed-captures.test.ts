/**
 * The flow table's second way in, held to its first on every bundled capture: the records the
 * packet path emits are turned into what an in-kernel aggregator would have delivered for them
 * (cumulative counters read at random moments, payload in chunks split, repeated and overlapped at
 * random, the two directions and the flows interleaved; observed-replay.ts), a fresh table is fed
 * those, and it must emit the same records, field for field, and the audit must judge them alike.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditedFlow } from '../../src/audit/audited-flow.js';
import { Auditor } from '../../src/audit/auditor.js';
import { loadMatrix } from '../../src/audit/load-matrix.js';
import { PLAIN_PREFIX_BYTES } from '../../src/cli/flow-table-options.js';
import { loadIdentities } from '../../src/pipeline/load-identities.js';
import type { FlowRecord } from '../../src/flow/flow-record.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/flow-table.js';
import { readFlows } from '../../src/pipeline/read-flows.js';
import { DnsAnswerTap } from '../../src/identity/dns-answer-tap.js';
import { DnsNameCache } from '../../src/identity/dns-name-cache.js';
import { type Draw, feed, observedEvents, recordingSink } from './observed-replay.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures');
/** Every capture in the tree: the samples, the TLS and DNS scenarios, the shipped profiles' traffic. */
const CAPTURES = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(pcap|pcapng|pcap\.gz)$/.test(f))
  .sort();
/** As `analyze` keeps payload: TLS handshakes up to 4 KiB, 16 bytes of other streams. */
const TABLE: Partial<FlowTableOptions> = { payloadLimit: 4096, plainPayloadLimit: PLAIN_PREFIX_BYTES };

/** fast-check's choices as the replay asks for them. */
function drawFrom(g: fc.GeneratorValue): Draw {
  return { int: (min, max) => g(fc.integer, { min, max }), bool: () => g(fc.boolean) };
}

function byId<T extends { readonly id: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.id - b.id);
}

/** Records in id order with their payload prefixes as hex: compared whole, and fast. */
function comparable(records: readonly FlowRecord[]): object[] {
  const direction = (d: FlowRecord['toServer']) => ({ ...d, payload: d.payload.toString('hex') });
  return byId(records).map((r) => ({ ...r, toServer: direction(r.toServer), toClient: direction(r.toClient) }));
}

/** The profile a capture of test/fixtures/profiles was made for, with its inventory; the others are judged against apigee-hybrid-1.4 alone. */
function auditorFor(capture: string, sink: AuditedFlow[], names: DnsNameCache): Auditor {
  const profile = /^profiles\/(.+)\.pcapng$/.exec(capture)?.[1];
  const matrix = loadMatrix(profile ?? 'apigee-hybrid-1.4');
  const inventory = profile === undefined ? [] : [join(FIXTURES, `profiles/${profile}.inventory.yaml`)];
  const identities = loadIdentities({ inventory, k8sSnapshot: [] }, matrix);
  return new Auditor(matrix, identities, [{ onAuditedFlow: (f) => sink.push(f) }], names);
}

function audit(capture: string, records: readonly FlowRecord[], names: DnsNameCache): AuditedFlow[] {
  const audited: AuditedFlow[] = [];
  const auditor = auditorFor(capture, audited, names);
  for (const record of byId(records)) auditor.onFlow(record);
  return audited;
}

describe.each(CAPTURES)('%s fed as flow observations', (capture) => {
  let fromPackets: FlowRecord[];
  const names = new DnsNameCache();

  beforeAll(async () => {
    const sink = recordingSink();
    await readFlows([join(FIXTURES, capture)], sink, { table: TABLE, tap: new DnsAnswerTap(names) });
    fromPackets = sink.records;
  });

  function replay(draw: Draw): { records: FlowRecord[]; table: FlowTable } {
    const sink = recordingSink();
    const table = new FlowTable(sink, TABLE);
    feed(table, observedEvents(fromPackets, draw));
    table.flush();
    return { records: sink.records, table };
  }

  it('emits the same flow records, however the counters are read and the payload chunked', () => {
    expect(fromPackets.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { records, table } = replay(drawFrom(g));
        expect(comparable(records)).toEqual(comparable(fromPackets));
        expect(table.observedStats.rejected).toBe(0);
      }),
      { numRuns: 15 },
    );
  });

  it('judges every flow as the packet path does', () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const { records } = replay(drawFrom(g));
        expect(audit(capture, records, names)).toEqual(audit(capture, fromPackets, names));
      }),
      { numRuns: 3 },
    );
  });
});
