#!/usr/bin/env bash
# The agent's CPU per connection on the eBPF engine, two builds side by side: A (REV) against B
# (the working tree), as bench/ab-build.sh builds them, both driven by the working tree's
# bench/agent-connections.mjs (REV needs the pipeline's loaderClock: e8e8659 or later). RUNS
# runs, A first in odd ones and B first in even ones; each run's figure is the median CPU
# microseconds a connection of its ROUNDS rounds. Prints every run's B/A ratio, then the median
# of the ratios with its 95% interval (bench/overhead-summary.mjs).
#
#   bash bench/agent-ab.sh REV [RUNS] [VARIANT] [ROUNDS]    defaults: 8 runs, agent, 7 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/agent-ab.sh REV [RUNS] [VARIANT] [ROUNDS]}
RUNS=${2:-8}
VARIANT=${3:-agent}
ROUNDS=${4:-7}
bash bench/ab-build.sh "$REV" >/dev/null
for side in A B; do
  cp bench/agent-connections.mjs bench/loader-streams.mjs "bench/out/ab/$side/bench/"
  # One copy of the generated streams for both.
  rm -rf "bench/out/ab/$side/bench/out" && ln -s "$PWD/bench/out" "bench/out/ab/$side/bench/out"
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# run SIDE: the median CPU microseconds a connection of one run.
run() { node "bench/out/ab/$1/bench/agent-connections.mjs" 20000 "$ROUNDS" "$VARIANT" | awk -v v="$VARIANT" '$1 == v { print $3 }'; }
echo "# $(date -u +%FT%TZ) $(nproc) cores, node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs of $ROUNDS rounds, A $(git rev-parse --short "$REV"), B the working tree at $(git rev-parse --short HEAD), $VARIANT, CPU us a connection"
echo "# variant run A_us B_us B/A"
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) -eq 1 ]; then a=$(run A); b=$(run B); else b=$(run B); a=$(run A); fi
  echo "$VARIANT $i $a $b $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')"
done | tee "$scratch/runs"
node bench/overhead-summary.mjs --names A,B "$scratch/runs"
