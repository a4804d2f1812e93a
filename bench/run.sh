#!/usr/bin/env bash
# Benchmarks flowaudit against its peers on the same generated captures, in one run, and prints a
# table of median wall time, packets/s and peak RSS (bench/RESULTS.md records the numbers).
#
#   bash bench/run.sh [PACKETS] [RUNS]      defaults: 2000000 packets, 3 runs each
#
# Needs: node, tshark, nfpcapd (nfdump), argus (argus-server). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-2000000}
RUNS=${2:-3}
OUT=bench/out
mkdir -p "$OUT"
npm run --silent build

for variant in pcap pcapng; do
  f="$OUT/bench-$PACKETS.$variant"
  [ -f "$f" ] || node bench/generate-capture.mjs "$f" --packets "$PACKETS" --format "$variant"
done
tls="$OUT/bench-$PACKETS-tls.pcap"
[ -f "$tls" ] || node bench/generate-capture.mjs "$tls" --packets "$PACKETS" --tls

# measure NAME COMMAND...: runs RUNS times, prints "NAME median_seconds Mpps peak_rss_MB".
measure() {
  local name=$1; shift
  local times=() rss=0
  for _ in $(seq "$RUNS"); do
    cat "${BENCH_FILES[@]}" >/dev/null # keep the captures in the page cache for every tool alike
    local line
    # Exit codes are not checked: analyze exits 1 when it finds violations, as it should here.
    /usr/bin/time -f '%e %M' -o "$scratch/time" "$@" >/dev/null 2>&1 || true
    line=$(tail -n 1 "$scratch/time")
    times+=("${line% *}")
    local kb=${line#* }
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  awk -v n="$name" -v t="$median" -v p="$PACKETS" -v r="$rss" 'BEGIN { printf "%-44s %8.3f s %8.2f Mpps %8.0f MB\n", n, t, p / t / 1e6, r / 1024 }'
}

pcap="$OUT/bench-$PACKETS.pcap"
pcapng="$OUT/bench-$PACKETS.pcapng"
BENCH_FILES=("$pcap" "$pcapng" "$tls")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), node $(node --version)"
ls -l "${BENCH_FILES[@]}" | awk '{ printf "# %s %d MB\n", $9, $5 / 1048576 }'
measure "count-only read (pcap)" node bench/count-only.mjs "$pcap"
measure "count-only read (pcapng)" node bench/count-only.mjs "$pcapng"
measure "flowaudit flows (pcap, ndjson)" node dist/bin/flowaudit.js flows -q -f ndjson "$pcap"
measure "flowaudit flows (pcap, table)" node dist/bin/flowaudit.js flows -q "$pcap"
measure "flowaudit flows (pcapng, ndjson)" node dist/bin/flowaudit.js flows -q -f ndjson "$pcapng"
measure "flowaudit analyze (pcap)" node dist/bin/flowaudit.js analyze -q --rules bench/bench-rules.yaml "$pcap"
measure "flowaudit flows (pcap with TLS hellos)" node dist/bin/flowaudit.js flows -q -f ndjson "$tls"
measure "flowaudit analyze (pcap with TLS hellos)" node dist/bin/flowaudit.js analyze -q --rules bench/bench-rules.yaml "$tls"
measure "nfpcapd (nfdump $(nfpcapd -V 2>&1 | awk '{print $NF}'))" nfpcapd -r "$pcap" -l "$scratch"
measure "argus -r (argus $(argus -h 2>&1 | awk '/Version/ {print $3; exit}'))" argus -r "$pcap" -w "$scratch/argus.out"
measure "tshark -q -z conv,tcp ($(tshark --version | awk 'NR==1 {print $3}'))" tshark -q -z conv,tcp -r "$pcap"
