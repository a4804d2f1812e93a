import type { CaptureSummary } from '../capture/packet-sink.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';

/**
 * The run's accounting as reports carry it under `run` (`flows -f json`, the JSON report): per
 * capture what was read, decode outcomes, tunnels, the flow table, and (analyze) DNS. Keys in
 * snake_case; keys that are names (decode reasons, tunnel types, addresses) stay as they are.
 */
export function runJson(read: ReadFlowsResult, dns?: DnsTapStats): Record<string, unknown> {
  return {
    captures: read.captures.map(captureJson),
    decode: read.decode,
    tunnels: { decapsulated: read.tunnels.decapsulated, not_decoded: read.tunnels.notDecoded },
    table: snakeKeys(read.table),
    ...(dns === undefined ? {} : { dns: snakeKeys(dns) }),
  };
}

function captureJson(c: CaptureSummary): Record<string, unknown> {
  return {
    file: c.file,
    format: c.format,
    compressed: c.compressed,
    packets: c.packets,
    bytes: c.bytes,
    truncated_packets: c.truncatedPackets,
    sections: c.sections,
    interfaces: c.interfaces.map((i) => ({
      link_type: i.linkType,
      snap_length: i.snapLength,
      name: i.name ?? null,
      statistics: i.statistics === undefined ? null : snakeKeys(i.statistics),
    })),
    resolved_names: Object.fromEntries(c.resolvedNames),
    skipped_blocks: c.skippedBlocks,
    warnings: c.warnings.map(snakeKeys),
    damage: c.damage === undefined ? null : snakeKeys(c.damage),
  };
}

/** An object whose keys are all field names, with each key in snake_case ("peakLive" -> "peak_live"). */
function snakeKeys(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return out;
}
