# Sourced by bench/overhead.sh and bench/ab-runs.sh: the same captures, and whole runs timed the
# same way, for both.

# bench_captures PACKETS: sets $plain and $tls to the bench captures of that size in bench/out,
# generated the first time (the generator writes with dist/'s builders: built if missing).
bench_captures() {
  mkdir -p bench/out
  [ -f dist/synth/capture-file.js ] || npm run --silent build
  plain="bench/out/bench-$1.pcap"
  tls="bench/out/bench-$1-tls.pcap"
  [ -f "$plain" ] || node bench/generate-capture.mjs "$plain" --packets "$1"
  [ -f "$tls" ] || node bench/generate-capture.mjs "$tls" --packets "$1" --tls
}

# wait_idle: until one second passes with the CPUs at least 92% idle (at most two minutes).
# NO_IDLE_WAIT=1 skips it, on a machine shared with work that never pauses (each wait would run
# its full two minutes): A/B rounds still put both builds under the same neighbours, in turn.
wait_idle() {
  [ "${NO_IDLE_WAIT:-}" = 1 ] && return
  local u n s i w x y z t1 i1 t2 i2
  for _ in $(seq 120); do
    read -r _ u n s i w x y z _ </proc/stat; t1=$((u + n + s + i + w + x + y + z)); i1=$i
    sleep 1
    read -r _ u n s i w x y z _ </proc/stat; t2=$((u + n + s + i + w + x + y + z)); i2=$i
    [ $((100 * (i2 - i1) / (t2 - t1))) -ge 92 ] && return
  done
}

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

# cpu CAPTURE COMMAND...: the CPU seconds (user and system) the command used, on stdout, to the
# 10 ms (time(1)'s steps). Waiting for a core shared with others' work does not count, which on a
# busy machine spreads wall times far more than what is measured (bench/RESULTS.md, session 9).
cpu() {
  local capture=$1 out; shift
  cat "$capture" >/dev/null
  wait_idle
  out=$(mktemp)
  /usr/bin/time -f '%U %S' -o "$out" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$out" | awk '{ printf "%.3f", $1 + $2 }' # after "Command exited with non-zero status" (analyze's 1)
  rm -f "$out"
}
