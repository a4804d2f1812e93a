#!/usr/bin/env bash
# What watching a node costs its traffic (issue 17, "Cost"), run by hand as root: two namespaces
# as pods on a bridge (fa-b-c 10.238.0.1 and fa-b-s 10.238.0.2, veths fa-b-ch and fa-b-sh on
# bridge fa-b-br; the prefix is $LAB, below), and three variants, interleaved in ROUNDS rounds
# (the order turning each round) so the guest's drift cannot favour one:
#
#   none   nothing watches
#   ebpf   $EBPF_AGENT: by default the loader on every fa-b-* interface with a Node process
#          decoding its stream (bench/engine-cost/loader-agent.mjs): the floor of the agent's
#          CPU, with the flow map the connection rate sets; for the agent itself,
#          `flowaudit watch --engine ebpf`, set EBPF_AGENT to that command (and EBPF_READY to
#          its readiness probe, as PCAP_READY's /readyz):
#            EBPF_AGENT="node dist/bin/flowaudit.js watch --engine ebpf -i 'fa-b-*' \
#              --rules rules/platform-baseline.yaml --listen 127.0.0.1:9849" \
#            EBPF_READY="curl -sf http://127.0.0.1:9849/readyz >/dev/null"
#          (the wired agent runs the loader with its default flow map, 65,536 flows; the
#          connection rate then reads its metrics: flows started, the kernel's losses)
#   pcap   $PCAP_AGENT: the libpcap agent as it is, `flowaudit watch --engine pcap -i fa-b-ch`
#          (auto would take the eBPF engine on the veth)
#
# Each round and variant measures, with the agent started afresh and ready:
#   iperf3 for SECONDS with 1 stream and with 8: throughput and the agent's CPU (every process of
#     its session: loader and Node together, /proc/PID/stat), with kernel.bpf_stats_enabled off
#   for the eBPF variants, the same two runs again with kernel.bpf_stats_enabled on: the BPF
#     programs' own run time, which the kernel charges to the packets' senders and receivers,
#     not to the agent (the stats' clock reads slow every pass, so these runs' throughput is
#     not the one compared)
#   latency: 20,000 round trips of 64 bytes on one TCP connection, p50 and p99
# Then, once per variant, the connection rate: one sender opening and closing connections for
# RATE_SECONDS as fast as it can; the flows the agent started against the connections established
# (and the distinct tuples they used: the sender reuses its ports), the kernel flow map's
# occupancy (entries at the sweep after the load: the stand-in's peak, the wired agent's
# flowaudit_engine_map_flows), and its loss counters, with the eBPF flow map at 1,048,576 (room for every connection of the run) and
# again at 16,384 (less than one sweep interval's new flows above its 80% eviction mark).
#
#   bash bench/engine-cost.sh [ROUNDS] [SECONDS]     defaults: 5 rounds, 10 s per iperf3 run
#
# Output: one line per measurement ("# ..." comments first) on stdout, for
# bench/engine-cost/summary.mjs, which prints the medians per variant and the ratios to none.
# Needs iperf3, cc, bpftool, curl (apt-get install iperf3 gcc bpftool curl), npm run build and
# make -C native. Waits for an idle machine before each run (bench/timing.sh's wait_idle; skipped
# with NO_IDLE_WAIT=1). RATE_SECONDS (10) and PINGS (20000) size the other two tests; VARIANTS
# ("none ebpf pcap") picks the variants, e.g. VARIANTS=ebpf for the BPF programs' ns per hook
# pass alone. Two builds of native/ are compared in one run with the variant ebpf-b, whose agent
# is $EBPF_B_AGENT (ready when $EBPF_B_READY), e.g. the stand-in on another build's loader:
#   VARIANTS="none ebpf ebpf-b" LOADER=/tmp/loader-before \
#   EBPF_B_AGENT="env LOADER=native/build/flowaudit-loader node bench/engine-cost/loader-agent.mjs -i 'fa-b-*'" bash bench/engine-cost.sh 5 5
# LAB (fa-b) prefixes the namespaces and links and METRICS (127.0.0.1:9849) is the agents'
# endpoint, so two runs on one machine can be kept apart (LAB=fa-a METRICS=127.0.0.1:9850;
# EBPF_AGENT's -i pattern then names $LAB too).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-10}
RATE_SECONDS=${RATE_SECONDS:-10}
PINGS=${PINGS:-20000}
VARIANTS=${VARIANTS:-none ebpf pcap}
LAB=${LAB:-fa-b}
C_ADDR=10.238.0.1
S_ADDR=10.238.0.2
METRICS=${METRICS:-127.0.0.1:9849}
EBPF_AGENT=${EBPF_AGENT:-"node bench/engine-cost/loader-agent.mjs -i '$LAB-*' --max-flows \${MAX_FLOWS:-65536}"}
PCAP_AGENT=${PCAP_AGENT:-"node dist/bin/flowaudit.js watch --engine pcap -i $LAB-ch --rules rules/platform-baseline.yaml --listen $METRICS"}
PCAP_READY=${PCAP_READY:-"curl -sf http://$METRICS/readyz >/dev/null"}
source bench/timing.sh

for tool in iperf3 cc bpftool curl; do
  command -v "$tool" >/dev/null || { echo "engine-cost: $tool is missing (apt-get install iperf3 gcc bpftool curl)" >&2; exit 2; }
done
[ -x native/build/flowaudit-loader ] || { echo "engine-cost: build native/ first (make -C native)" >&2; exit 2; }
[ -f dist/bin/flowaudit.js ] || { echo "engine-cost: build first (npm run build)" >&2; exit 2; }

scratch=$(mktemp -d)
# The agent's stderr is $scratch/agent.err; the stand-in says there what it attached to.
EBPF_READY=${EBPF_READY:-"grep -q 'attached $LAB-ch' '$scratch/agent.err'"}
EBPF_B_AGENT=${EBPF_B_AGENT:-$EBPF_AGENT}
EBPF_B_READY=${EBPF_B_READY:-$EBPF_READY}
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  for ns in "$LAB-c" "$LAB-s"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$LAB-br" 2>/dev/null || true
  # Left on while another run's flowaudit programs are loaded: their stats would stop mid-run.
  bpftool prog show 2>/dev/null | grep -q 'name flowaudit_' || sysctl -qw kernel.bpf_stats_enabled="$stats_before" 2>/dev/null || true
  rm -rf "$scratch"
}
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap cleanup EXIT

lab() {
  ip link add "$LAB-br" type bridge stp_state 0
  ip link set "$LAB-br" up
  for end in c s; do
    ip netns add "$LAB-$end"
    ip link add "$LAB-${end}h" type veth peer name eth0 netns "$LAB-$end"
    ip link set "$LAB-${end}h" master "$LAB-br" up
    ip -n "$LAB-$end" link set lo up
    ip -n "$LAB-$end" link set eth0 up
    ip netns exec "$LAB-$end" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  done
  ip -n "$LAB-c" addr add "$C_ADDR/24" dev eth0
  ip -n "$LAB-s" addr add "$S_ADDR/24" dev eth0
  # The connection rate reuses client ports: all of them, and no wait for a FIN's last ACK.
  ip netns exec "$LAB-c" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  cc -O2 -o "$scratch/tcp-load" bench/engine-cost/tcp-load.c
  ip netns exec "$LAB-s" iperf3 -s -p 5201 >/dev/null 2>&1 &
  ip netns exec "$LAB-s" "$scratch/tcp-load" echo 7100 &
  ip netns exec "$LAB-s" "$scratch/tcp-load" serve 7000 16 &
  sleep 1
  ip netns exec "$LAB-c" "$scratch/tcp-load" pingpong "$S_ADDR" 7100 100 >/dev/null # the path works
}

# start_agent VARIANT: starts its agent in a session of its own and waits until it is ready.
start_agent() {
  local cmd ready
  case $1 in
    none) return ;;
    ebpf) cmd=$EBPF_AGENT ready=$EBPF_READY ;;
    ebpf-b) cmd=$EBPF_B_AGENT ready=$EBPF_B_READY ;;
    pcap) cmd=$PCAP_AGENT ready=$PCAP_READY ;;
  esac
  setsid bash -c "exec $cmd" >"$scratch/agent.out" 2>"$scratch/agent.err" &
  agent_pid=$!
  for _ in $(seq 200); do
    bash -c "$ready" 2>/dev/null && { sleep 0.5; return; }
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "engine-cost: the $1 agent did not get ready: $(tail -c 300 "$scratch/agent.err")" >&2
  exit 1
}

stop_agent() {
  [ -z "$agent_pid" ] && return
  kill -TERM "$agent_pid" 2>/dev/null || echo "# the agent had exited: $(tail -c 300 "$scratch/agent.err")"
  wait "$agent_pid" || true
  agent_pid=
}

# agent_ticks: CPU clock ticks (user + system) of every process in the agent's session so far.
agent_ticks() {
  [ -z "$agent_pid" ] && { echo 0; return; }
  local total=0 pid t
  for pid in $(ps -o pid= -s "$agent_pid"); do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && total=$((total + t))
  done
  echo "$total"
}

# bpf_stat FIELD: run_time_ns or run_cnt of the agent's BPF programs so far, summed (0 when none
# is loaded). Its programs are those its processes hold (prog_id in /proc/PID/fdinfo): another
# loader on the machine (a test's) runs programs of the same names.
bpf_stat() {
  local ids="" pid
  if [ -n "$agent_pid" ]; then
    for pid in $(ps -o pid= -s "$agent_pid"); do
      ids+=$(awk '/^prog_id:/ { printf "%s,", $2 }' /proc/"$pid"/fdinfo/* 2>/dev/null || true)
    done
  fi
  bpftool -j prog show | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => { const ids = new Set(process.argv[2].split(",").filter(Boolean).map(Number));
    console.log(JSON.parse(s).filter((p) => ids.has(p.id)).reduce((n, p) => n + (p[process.argv[1]] ?? 0), 0)) })' "$1" "$ids"
}

# throughput KIND VARIANT ROUND STREAMS: one iperf3 run; prints its line. KIND throughput runs
# with kernel.bpf_stats_enabled off, as a node runs: the stats' two clock reads a pass (about
# 100 ns in this guest under load, measured with an empty program) are not the engine's cost.
# KIND bpfcost runs with it on, for the BPF programs' own time.
throughput() {
  local kind=$1 ticks0 ns0 runs0 ticks1 ns1 runs1
  sysctl -qw kernel.bpf_stats_enabled=$([ "$kind" = bpfcost ] && echo 1 || echo 0)
  shift
  wait_idle
  ticks0=$(agent_ticks); ns0=$(bpf_stat run_time_ns); runs0=$(bpf_stat run_cnt)
  if ! ip netns exec "$LAB-c" iperf3 -c "$S_ADDR" -p 5201 -t "$SECONDS_PER_RUN" -P "$3" -J >"$scratch/iperf.json"; then
    echo "# throughput $1 $2 $3 failed: $(grep -o '"error":.*' "$scratch/iperf.json" | head -1)"
    return
  fi
  ticks1=$(agent_ticks); ns1=$(bpf_stat run_time_ns); runs1=$(bpf_stat run_cnt)
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).end.sum_received;
    const [kind, variant, round, streams, ticks, bpfNs, bpfRuns, hz] = process.argv.slice(2);
    const agent = Number(ticks) / Number(hz), bpf = Number(bpfNs) / 1e9, gb = r.bytes / 1e9;
    console.log([kind, variant, round, streams, (r.bits_per_second / 1e9).toFixed(3), gb.toFixed(3), r.seconds.toFixed(3),
      agent.toFixed(2), bpf.toFixed(3), ((agent + bpf) / gb).toFixed(4), (100 * agent / r.seconds).toFixed(2), (100 * (agent + bpf) / r.seconds).toFixed(2), Number(bpfRuns) > 0 ? Math.round(Number(bpfNs) / Number(bpfRuns)) : 0].join(" "));
  ' "$scratch/iperf.json" "$kind" "$1" "$2" "$3" $((ticks1 - ticks0)) $((ns1 - ns0)) $((runs1 - runs0)) "$(getconf CLK_TCK)"
}

latency() {
  wait_idle
  echo "latency $1 $2 $(ip netns exec "$LAB-c" "$scratch/tcp-load" pingpong "$S_ADDR" 7100 "$PINGS")"
}

# connection_rate VARIANT MAX_FLOWS: one sender for RATE_SECONDS; the flows its agent saw.
connection_rate() {
  local made seen ticks0 ns0 runs0 cpu
  export MAX_FLOWS=$2 SUMMARY="$scratch/summary.json"
  rm -f "$SUMMARY"
  wait_idle
  start_agent "$1"
  ticks0=$(agent_ticks); ns0=$(bpf_stat run_time_ns); runs0=$(bpf_stat run_cnt)
  made=$(ip netns exec "$LAB-c" "$scratch/tcp-load" rate "$S_ADDR" 7000 16 "$RATE_SECONDS")
  # The wired agent's flow map as the load ends (the stand-in keeps its peak itself).
  map_at_end=$(curl -sf "http://$METRICS/metrics" 2>/dev/null | awk '/^flowaudit_engine_map_flows / { print $2 }' || true)
  map_at_end=${map_at_end:-0}
  sleep 2 # a sweep or a scrape after the last connection
  cpu=$(awk -v t=$(($(agent_ticks) - ticks0)) -v hz="$(getconf CLK_TCK)" -v ns=$(($(bpf_stat run_time_ns) - ns0)) -v runs=$(($(bpf_stat run_cnt) - runs0)) \
    'BEGIN { printf "agent_cpu_s %.2f bpf_cpu_s %.3f bpf_ns_per_run %d", t / hz, ns / 1e9, (runs > 0 ? ns / runs : 0) }')
  case $1 in
    ebpf | ebpf-b)
      # The wired agent (EBPF_AGENT=... watch --engine ebpf) says it in its metrics; the stand-in in $SUMMARY at its stop.
      metrics=$(curl -sf "http://$METRICS/metrics" || true)
      stop_agent
      if [ -f "$SUMMARY" ]; then
        seen=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const c = s.counters ?? {};
          console.log(`seen ${s.tcpFlowsEnded} evicted ${s.evictedFlows} map_full ${c.mapFull} ring_reserve_failed ${c.ringReserveFailed} map_entries_peak ${s.peakMapEntries} reused_tuples ${c.reusedTuples} late_after_close ${c.lateAfterClose} stream_problems ${s.problems}`)' "$SUMMARY")
      else
        seen=$(awk '/^flowaudit_flows_started_total/ { f += $2 } /^flowaudit_engine_kernel_losses_total\{reason="map_full"\}/ { m += $2 }
          /^flowaudit_engine_kernel_losses_total\{reason="evicted"\}/ { e += $2 } /^flowaudit_engine_kernel_losses_total\{reason="ring_reserve_failed"\}/ { r += $2 }
          /^flowaudit_engine_kernel_reused_tuples_total/ { u += $2 } /^flowaudit_engine_kernel_late_packets_total/ { l += $2 }
          END { printf "seen %d evicted %d map_full %d ring_reserve_failed %d map_entries_at_end %d reused_tuples %d late_after_close %d (flows started)", f, e, m, r, '"$map_at_end"', u, l }' <<<"$metrics")
      fi ;;
    pcap)
      seen=$(curl -sf "http://$METRICS/metrics" | awk '/^flowaudit_flows_started_total/ { f += $2 } /^flowaudit_capture_kernel_drops_total/ { k += $2 } /^flowaudit_flow_evictions_total/ { e += $2 }
        END { printf "seen %d evicted %d kernel_drops %d", f, e, k }')
      stop_agent ;;
    *) seen="seen -" ;;
  esac
  echo "rate $1 max_flows=$2 $made $cpu $seen"
}

lab
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), node $(node --version), $(iperf3 --version | head -1 | cut -d' ' -f1-2), commit $(git rev-parse --short HEAD)"
echo "# ebpf: $EBPF_AGENT"
[[ " $VARIANTS " == *" ebpf-b "* ]] && echo "# ebpf-b: $EBPF_B_AGENT"
echo "# pcap: $PCAP_AGENT"
echo "# throughput|bpfcost VARIANT ROUND STREAMS GBIT_S GB SECONDS AGENT_CPU_S BPF_CPU_S CPU_S_PER_GB AGENT_CORE_% AGENT+BPF_CORE_% BPF_NS_PER_RUN"
echo "# (throughput: kernel.bpf_stats_enabled off; bpfcost: on, for the eBPF variants' programs)"
echo "# latency VARIANT ROUND p50_us P p99_us P"
read -ra variants <<<"$VARIANTS"
for round in $(seq "$ROUNDS"); do
  for i in "${!variants[@]}"; do
    variant=${variants[$(((i + round) % ${#variants[@]}))]}
    start_agent "$variant"
    throughput throughput "$variant" "$round" 1
    throughput throughput "$variant" "$round" 8
    if [[ $variant == ebpf* ]]; then
      throughput bpfcost "$variant" "$round" 1
      throughput bpfcost "$variant" "$round" 8
    fi
    latency "$variant" "$round"
    stop_agent
  done
done
sysctl -qw kernel.bpf_stats_enabled=1 # the connection rate's lines say the programs' time
echo "# rate VARIANT max_flows=N connections ESTABLISHED distinct TUPLES failed F seconds T per_second R agent_cpu_s A bpf_cpu_s B bpf_ns_per_run N seen SEEN ... (CPU over the run and 2 s after)"
for variant in "${variants[@]}"; do connection_rate "$variant" 1048576; done
if [[ " $VARIANTS " == *" ebpf "* ]]; then connection_rate ebpf 16384; fi
