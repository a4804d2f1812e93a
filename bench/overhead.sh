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
npm run --silent build
source bench/timing.sh
bench_captures "$PACKETS"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
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
