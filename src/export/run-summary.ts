import { describeOffset } from '../capture/capture-error.js';
import type { ReadFlowsResult } from '../pipeline/read-flows.js';
import type { DnsTapStats } from '../identity/dns-answer-tap.js';

/**
 * The run's accounting on stderr: per file what was read, what did not decode and why, what broke
 * the format but was read (as tshark reads it), and any damage skipped with --keep-going.
 * Warnings print even when quiet.
 */
export function writeRunSummary(result: ReadFlowsResult, quiet: boolean, dns?: DnsTapStats): void {
  const lines: string[] = [];
  for (const c of result.captures) {
    for (const w of c.warnings) {
      lines.push(`warning: ${c.file}: ${describeOffset(w.offset, c.compressed)}: ${w.reason}${w.count > 1 ? ` (and ${w.count - 1} more like it)` : ''}`);
    }
    const d = c.damage;
    if (d) lines.push(`warning: ${c.file}: ${describeOffset(d.offset, c.compressed, d.compressedOffset)}: ${d.reason} (kept the ${c.packets} packets before it)`);
  }
  if (!quiet) {
    for (const c of result.captures) {
      const drops = c.interfaces
        .map((i) => i.statistics)
        .filter((s) => s !== undefined)
        .map((s) => `if_drop=${s.droppedByInterface ?? '?'} os_drop=${s.droppedByOs ?? '?'}`);
      lines.push(
        `${c.file}: ${c.format}${c.compressed ? '+gzip' : ''}, ${c.packets} packets, ${c.bytes} bytes` +
          (c.truncatedPackets > 0 ? `, ${c.truncatedPackets} cut by snaplen` : '') +
          (c.skippedBlocks > 0 ? `, ${c.skippedBlocks} blocks skipped` : '') +
          (drops.length > 0 ? `, capture stats: ${drops.join('; ')}` : ''),
      );
    }
    const notDecoded = Object.entries(result.decode).filter(([reason]) => reason !== 'ok');
    lines.push(
      `flows: ${result.table.flowsEmitted} (peak live ${result.table.peakLive}, evicted ${result.table.evicted}, port reuse ${result.table.portReuses}, active-timeout splits ${result.table.activeTimeouts})` +
        (notDecoded.length > 0 ? `; not decoded: ${notDecoded.map(([r, n]) => `${r}=${n}`).join(', ')}` : '') +
        (result.table.payloadBudgetExhausted > 0 ? `; payload prefixes not kept (budget spent): ${result.table.payloadBudgetExhausted}` : ''),
    );
    const tunnels = Object.entries(result.tunnels.decapsulated);
    const innerNotDecoded = Object.entries(result.tunnels.notDecoded);
    if (tunnels.length > 0 || innerNotDecoded.length > 0) {
      lines.push(
        `tunnels: ${tunnels.length > 0 ? tunnels.map(([t, n]) => `${t}=${n}`).join(', ') : 'none'} packets opened` +
          (innerNotDecoded.length > 0 ? `; inner packets not decoded: ${innerNotDecoded.map(([r, n]) => `${r}=${n}`).join(', ')}` : ''),
      );
    }
    if (dns !== undefined && (dns.responses > 0 || dns.failures > 0)) {
      lines.push(
        `dns: ${dns.responses} answers, ${dns.mappings} address names learnt` +
          (dns.failures > 0 ? `; ${dns.failures} port-53 payloads not DNS (last: ${dns.lastFailure})` : ''),
      );
    }
  }
  if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n');
}
