#!/usr/bin/env bash
# The live agent's load benchmark (issue 5), run by hand as root; bench/RESULTS.md records the numbers.
#
#   bash bench/load/run-load.sh [steps|flood|all] [STEP_PACKETS] [REPEATS]
#        defaults: all, 500000 packets per rate step, 3 repeats
#   env: RATES=25000,50000,100000,200000,400000,topspeed,topspeedx2   pps of the steps per sender; xN = N senders at once
#        CPU_LIMIT=            millicpu: run the steps' agent under a CFS quota (a Kubernetes CPU limit), e.g. 250,
#                              in a cgroup of its own, fa-load-agent (removed at the end)
#        WARMUP=0              packets sent to each fresh agent (at 20,000/s) before a step is counted
#        FIXLEN=pad            how the snaplen-256 capture is made whole for the steps: tcprewrite --fixlen=pad or trunc
#        FLOOD_FLOWS=1000000   distinct flows in the flood capture
#        FLOOD_UDP_SHARE=0.1   share of them that are UDP DNS queries (the rest TCP SYNs)
#        FLOOD_CLIENTS=65536   client addresses the flows come from (10.1.0.0/16 at most)
#        FLOOD_RATE=topspeed   pps of the flood replay
#        FLOOD_OBSERVE=30      seconds the flood run keeps watching after the replay
#        FLOOD_REPEATS=1
#        AGENT_NODE_ARGS=      node options for the agent in the flood, e.g. "--cpu-prof --cpu-prof-dir=bench/out/load/prof"
#        AGENT_ARGS=           extra watch options (steps and flood)
#        FLOOD_SIGNAL_AT=      send the flood's agent SIGUSR2 this many seconds after the replay (heap snapshots:
#                              AGENT_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=bench/out/load/heap")
#        FA_LOAD_MEM_LOG=      with AGENT_NODE_ARGS="--import ./bench/load/mem-probe.mjs": the agent's memory every 250 ms
#        FA_LOAD_LOOP_LOG=     with AGENT_NODE_ARGS="--import ./bench/load/loop-probe.mjs": its event-loop stalls over 20 ms
#                              and GC pauses over 5 ms (bench/load/slow-scrapes.mjs lines them up with slow scrapes)
#
# Builds a veth pair: fa-load-tx in namespace fa-load-src (tcpreplay sends there) and fa-load-rx in
# namespace fa-load-dst, where `flowaudit watch --interface fa-load-rx` captures and serves
# /metrics on 127.0.0.1:19847 (steps) or :19848 (flood), in that namespace. IPv6 is off on both ends and neither has an address, so the only
# packets on the pair are the replayed ones. Traffic never leaves the pair; the namespaces are
# removed at exit. Installs tcpreplay from Debian if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-all}
STEP_PACKETS=${2:-500000}
REPEATS=${3:-3}
RATES=${RATES:-25000,50000,100000,200000,400000,topspeed,topspeedx2}
FIXLEN=${FIXLEN:-pad}
FLOOD_FLOWS=${FLOOD_FLOWS:-1000000}
FLOOD_UDP_SHARE=${FLOOD_UDP_SHARE:-0.1}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-65536}
FLOOD_RATE=${FLOOD_RATE:-topspeed}
FLOOD_OBSERVE=${FLOOD_OBSERVE:-30}
FLOOD_REPEATS=${FLOOD_REPEATS:-1}
OUT=bench/out/load
SRC=fa-load-src
DST=fa-load-dst

[ "$(id -u)" = 0 ] || { echo "run-load.sh: needs root (namespaces, veths, packet capture)" >&2; exit 2; }
if ! command -v tcpreplay >/dev/null || ! command -v tcprewrite >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y tcpreplay
fi
mkdir -p "$OUT"
npm run --silent build

cleanup() {
  for ns in "$SRC" "$DST"; do
    if ip netns list | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
}
cleanup
trap cleanup EXIT

for ns in "$SRC" "$DST"; do
  ip netns add "$ns"
  # New links inherit "default": the veth ends are born with IPv6 off (no DAD, MLD or RS packets).
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$SRC" link add fa-load-tx type veth peer name fa-load-rx netns "$DST"
ip -n "$SRC" link set fa-load-tx up
ip -n "$DST" link set fa-load-rx up

echo "# $(date -u +%FT%TZ) $(nproc) vCPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), node $(node --version), $(tcpreplay --version 2>&1 | head -1), net.core.netdev_max_backlog $(cat /proc/sys/net/core/netdev_max_backlog)"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$MODE" = steps ] || [ "$MODE" = all ]; then
  bench="bench/out/bench-$STEP_PACKETS.pcap"
  [ -f "$bench" ] || node bench/generate-capture.mjs "$bench" --packets "$STEP_PACKETS"
  # The benchmark capture keeps 256 bytes of each packet. It is made whole once, offline, with
  # tcprewrite --fixlen=pad (zeros up to the recorded length: the agent sees the real frame sizes,
  # and the IP lengths stay true), then replayed by plain tcpreplay. tcpreplay-edit --fixlen=pad
  # (4.4.3, Debian 12) stops at the first truncated packet ("fix_ipv4_checksums(): Expected IPv4
  # packet"), and editing on the fly would also cost the sender CPU at top speed.
  capture="$OUT/bench-$STEP_PACKETS-$FIXLEN.pcap"
  [ -f "$capture" ] || tcprewrite --fixlen="$FIXLEN" -i "$bench" -o "$capture" 2>/dev/null
  echo "# steps: $capture (tcprewrite --fixlen=$FIXLEN of $bench), rates $RATES, $REPEATS repeats, a fresh agent per step${CPU_LIMIT:+, agent CPU limit ${CPU_LIMIT}m}, warm-up ${WARMUP:-0} packets"
  nsenter --net="/run/netns/$DST" node bench/load/steps.mjs --capture "$capture" --rates "$RATES" --repeats "$REPEATS" --out "$OUT" --agent-args "${AGENT_ARGS:-}" \
    ${CPU_LIMIT:+--cpu-limit "$CPU_LIMIT"} --warmup "${WARMUP:-0}"
fi

if [ "$MODE" = flood ] || [ "$MODE" = all ]; then
  flood="$OUT/flood-$FLOOD_FLOWS-udp$FLOOD_UDP_SHARE-c$FLOOD_CLIENTS.pcap"
  [ -f "$flood" ] || node bench/load/generate-flood.mjs "$flood" --flows "$FLOOD_FLOWS" --udp-share "$FLOOD_UDP_SHARE" --clients "$FLOOD_CLIENTS"
  for i in $(seq "$FLOOD_REPEATS"); do
    echo "# flood $i/$FLOOD_REPEATS: $flood at $FLOOD_RATE pps, observed $FLOOD_OBSERVE s after"
    nsenter --net="/run/netns/$DST" node bench/load/flood.mjs --capture "$flood" --rate "$FLOOD_RATE" --observe "$FLOOD_OBSERVE" --out "$OUT" \
      --agent-args "${AGENT_ARGS:-}" --node-args "${AGENT_NODE_ARGS:-}" ${FLOOD_SIGNAL_AT:+--signal-at "$FLOOD_SIGNAL_AT"}
  done
fi
