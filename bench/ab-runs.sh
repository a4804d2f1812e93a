#!/usr/bin/env bash
# Whole runs of two builds side by side: A (REV) against B (the working tree), as
# bench/ab-build.sh builds them. ROUNDS rounds, each timing `flows -f ndjson` and `analyze` of
# both builds on the plain and the TLS bench capture, A first in odd rounds and B first in even
# ones, each start waiting for an idle second (bench/timing.sh). Prints every round's B/A ratio,
# then per command and capture the median of the ratios with its 95% interval
# (bench/overhead-summary.mjs). A change is "no slower" when the interval holds 1 or lies below.
#
#   bash bench/ab-runs.sh REV [ROUNDS] [PACKETS]      defaults: 10 rounds, 2000000 packets
#   NO_IDLE_WAIT=1 bash bench/ab-runs.sh ...           on a machine that is never idle (bench/timing.sh)
#   MEASURE=cpu bash bench/ab-runs.sh ...              CPU seconds (user and system) instead of wall time
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/ab-runs.sh REV [ROUNDS] [PACKETS]}
ROUNDS=${2:-10}
PACKETS=${3:-2000000}
MEASURE=${MEASURE:-wall}
case $MEASURE in wall | cpu) ;; *) echo "ab-runs: MEASURE is wall or cpu, not $MEASURE" >&2; exit 2 ;; esac
bash bench/ab-build.sh "$REV" >/dev/null
source bench/timing.sh
bench_captures "$PACKETS"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# run SIDE COMMAND CAPTURE: the seconds one build takes for one command.
run() {
  local cli="bench/out/ab/$1/dist/bin/flowaudit.js"
  case $2 in
    flows) $MEASURE "$3" node "$cli" flows -q -f ndjson "$3" ;;
    analyze) $MEASURE "$3" node "$cli" analyze -q --rules bench/bench-rules.yaml "$3" ;;
  esac
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, node $(node --version), $ROUNDS rounds, A $(git rev-parse --short "$REV"), B the working tree at $(git rev-parse --short HEAD), idle wait $([ "${NO_IDLE_WAIT:-}" = 1 ] && echo off || echo on), $MEASURE seconds"
echo "# command:capture round A_s B_s B/A"
for round in $(seq "$ROUNDS"); do
  for command in flows analyze; do
    for capture in "$plain" "$tls"; do
      if [ $((round % 2)) -eq 1 ]; then a=$(run A "$command" "$capture"); b=$(run B "$command" "$capture")
      else b=$(run B "$command" "$capture"); a=$(run A "$command" "$capture"); fi
      echo "$command:$(basename "$capture") $round $a $b $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')"
    done
  done
done | tee "$scratch/rounds"

node bench/overhead-summary.mjs --names A,B "$scratch/rounds"
