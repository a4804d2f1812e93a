// Summarises bench/engine-cost.sh's output (files named as arguments, or stdin): per variant and
// stream count the median throughput, the median of the per-round ratios to `none` (the same
// round's run without an agent: the guest drifts between rounds), CPU seconds per GB and share of
// one core (the BPF programs' from the runs with bpf_stats on, when the file has them); per variant
// the median latency; per connection-rate run the flows started against the connections
// established, and the flow map's occupancy.
import { readFileSync } from 'node:fs';

// Runs pooled from several files: a round is known by its file and number.
const texts = process.argv.length > 2 ? process.argv.slice(2).map((f) => readFileSync(f, 'utf8')) : [readFileSync(0, 'utf8')];
const rows = texts.flatMap((text, file) =>
  text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(' ')).map((r) => (r[0] === 'throughput' || r[0] === 'bpfcost' || r[0] === 'latency' ? [r[0], r[1], `${file}.${r[2]}`, ...r.slice(3)] : r)),
);

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

const fixed = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
// throughput lines (bpf_stats off) give the throughput and the agent's CPU; bpfcost lines (the
// eBPF variants' runs with bpf_stats on) the BPF programs' time. Files from before session 10
// have only throughput lines, run with bpf_stats on: their programs' time is read from those.
const parse = (kind) => rows.filter((r) => r[0] === kind).map(([, variant, round, streams, gbps, gb, , agent, bpf, , core, coreWithBpf, nsPerRun]) => ({
  variant, round, streams, gbps: +gbps, agentPerGb: +agent / +gb, allPerGb: (+agent + +bpf) / +gb, core: +core, coreWithBpf: +coreWithBpf, nsPerRun: +nsPerRun,
}));
const throughput = parse('throughput');
const bpfCost = parse('bpfcost');
if (throughput.length > 0) {
  console.log('| variant | streams | runs | Gbit/s (median) | vs none, same round (median) | agent CPU s/GB | + BPF programs s/GB | agent, % of one core | + BPF programs, % of one core | BPF ns per hook pass |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
}
for (const streams of ['1', '8']) {
  for (const variant of ['none', 'ebpf', 'ebpf-b', 'pcap']) {
    const runs = throughput.filter((t) => t.variant === variant && t.streams === streams);
    if (runs.length === 0) continue;
    const costs = bpfCost.filter((t) => t.variant === variant && t.streams === streams);
    const withBpf = costs.length > 0 ? costs : runs;
    const ratios = runs.map((t) => t.gbps / (throughput.find((n) => n.variant === 'none' && n.streams === streams && n.round === t.round)?.gbps ?? NaN));
    console.log(`| ${variant} | ${streams} | ${runs.length} | ${fixed(median(runs.map((t) => t.gbps)), 2)} | ${variant === 'none' ? '1' : fixed(median(ratios), 3)} | ` +
      `${fixed(median(runs.map((t) => t.agentPerGb)), 4)} | ${fixed(median(withBpf.map((t) => t.allPerGb)), 4)} | ` +
      `${fixed(median(runs.map((t) => t.core)), 2)} | ${fixed(median(withBpf.map((t) => t.coreWithBpf)), 2)} | ${withBpf.some((t) => t.nsPerRun > 0) ? fixed(median(withBpf.map((t) => t.nsPerRun)), 0) : '-'} |`);
  }
}
const latency = rows.filter((r) => r[0] === 'latency').map(([, variant, round, , p50, , p99]) => ({ variant, round, p50: +p50, p99: +p99 }));
if (latency.length > 0) {
  console.log('\n| variant | runs | p50 µs (median) | p99 µs (median) |');
  console.log('|---|---:|---:|---:|');
  for (const variant of ['none', 'ebpf', 'ebpf-b', 'pcap']) {
    const runs = latency.filter((l) => l.variant === variant);
    if (runs.length > 0) console.log(`| ${variant} | ${runs.length} | ${fixed(median(runs.map((l) => l.p50)), 1)} | ${fixed(median(runs.map((l) => l.p99)), 1)} |`);
  }
}
// Connection-rate lines: "rate VARIANT max_flows=N" then key-value pairs (connections, distinct,
// seen, map_entries_peak or map_entries_at_end, ...); flows started are held to connections established.
const rates = rows.filter((r) => r[0] === 'rate').map((r) => {
  const fields = Object.fromEntries(r.slice(3).flatMap((token, i, all) => (i % 2 === 0 && i + 1 < all.length ? [[token, all[i + 1]]] : [])));
  return { variant: r[1], map: r[2].replace('max_flows=', ''), ...fields };
});
if (rates.length > 0) {
  console.log('\n| variant | flow map | established a second | connections established | distinct tuples | flows started | started / established | map entries (peak, or at the end) | evicted | map_full | reused tuples | late after close | agent CPU s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rates) {
    const seen = Number(r.seen);
    const ratio = Number.isFinite(seen) ? fixed(seen / Number(r.connections), 4) : '-';
    const cells = [r.variant, r.map, r.per_second, r.connections, r.distinct, r.seen, ratio, r.map_entries_peak ?? r.map_entries_at_end, r.evicted, r.map_full, r.reused_tuples, r.late_after_close, r.agent_cpu_s];
    console.log(`| ${cells.map((c) => c ?? '-').join(' | ')} |`);
  }
}
