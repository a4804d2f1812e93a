#!/usr/bin/env bash
# What `analyze` adds to `flows` (issues 3 and 4: at most +20% on the plain capture, +25% with TLS
# hellos), measured so that the guest's drift cannot favour either: ROUNDS rounds, each running
# `flows -f ndjson` and then `analyze` on the same capture, back to back, each start waiting for a
# second in which the machine was at least 92% idle. Prints every round's ratio, then per capture
# the median of the per-round ratios (the figure bench/RESULTS.md reports, with its quartiles and a
# 95% bootstrap interval) and the ratio of the medians: bench/overhead-summary.mjs, which also
# pools the output of several runs at one commit (bench/overhead/ keeps the sets RESULTS.md
# reports). bench/run.sh times each tool's runs in a row, which a drift of the guest's speed
# during the run turns into a difference between tools.
#
#   bash bench/overhead.sh [ROUNDS] [PACKETS]      defaults: 20 rounds, 2000000 packets
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
PACKETS=${2:-2000000}
OUT=bench/out
mkdir -p "$OUT"
npm run --silent build

plain="$OUT/bench-$PACKETS.pcap"
tls="$OUT/bench-$PACKETS-tls.pcap"
[ -f "$plain" ] || node bench/generate-capture.mjs "$plain" --packets "$PACKETS"
[ -f "$tls" ] || node bench/generate-capture.mjs "$tls" --packets "$PACKETS" --tls

# wait_idle: until one second passes with the CPUs at least 92% idle (at most two minutes).
wait_idle() {
  local u n s i w x y z t1 i1 t2 i2
  for _ in $(seq 120); do
    read -r _ u n s i w x y z _ </proc/stat; t1=$((u + n + s + i + w + x + y + z)); i1=$i
    sleep 1
    read -r _ u n s i w x y z _ </proc/stat; t2=$((u + n + s + i + w + x + y + z)); i2=$i
    [ $((100 * (i2 - i1) / (t2 - t1))) -ge 92 ] && return
  done
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# wall CAPTURE COMMAND...: seconds the command took, on stdout, to the millisecond (time(1)'s %e
# counts in steps of 10 ms, 2% of a run on this machine). analyze exits 1 on violations.
wall() {
  local capture=$1 start end; shift
  cat "$capture" >/dev/null # in the page cache for both tools alike
  wait_idle
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, node $(node --version), $ROUNDS rounds, commit $(git rev-parse --short HEAD)"
echo "# capture round flows_s analyze_s ratio"
for round in $(seq "$ROUNDS"); do
  for capture in "$plain" "$tls"; do
    f=$(wall "$capture" node dist/bin/flowaudit.js flows -q -f ndjson "$capture")
    a=$(wall "$capture" node dist/bin/flowaudit.js analyze -q --rules bench/bench-rules.yaml "$capture")
    echo "$(basename "$capture") $round $f $a $(awk -v a="$a" -v f="$f" 'BEGIN { printf "%.3f", a / f }')"
  done
done | tee "$scratch/rounds"

node bench/overhead-summary.mjs "$scratch/rounds"
