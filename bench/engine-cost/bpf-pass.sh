#!/usr/bin/env bash
# What one pass of the eBPF engine's TC program costs, path by path, without traffic (issue 17):
# the loader attached to a veth pair ($LAB-p0, $LAB-p1; LAB is fa-b unless set), then
# `bpftool prog run` (the kernel's BPF_PROG_TEST_RUN) runs flowaudit_in REPEAT times on one
# crafted packet and says the average nanoseconds a run. One CPU, warm caches, no other CPU touching the flow's entry: the programs'
# own instructions and helper calls, apart from what live traffic adds (cache misses, the entry's
# cache line moving between the CPUs of the two directions, bpf_stats' clock reads). Run as root
# after make -C native:
#
#   bash bench/engine-cost/bpf-pass.sh [LOADER] [REPEAT] [TIMES]
#
# LOADER (native/build/flowaudit-loader) lets two builds be compared; REPEAT (1,000,000) runs per
# measurement; TIMES (5) measurements per path, whose median is printed. The paths:
#   tcp-counted      an established IPv4 TCP segment of 1448 bytes on the interface that counts
#                    its flow, past the payload it sends (a retransmission of its first segment)
#   tcp-duplicate    the same on the other interface: the pass skipped as a duplicate hook
#   udp-counted      an IPv4 UDP datagram of 40 bytes, past the payload limit
#   tcp6-counted     the TCP segment over IPv6
#   not-ip           an ARP frame
set -euo pipefail
cd "$(dirname "$0")/../.."
LOADER=${1:-native/build/flowaudit-loader}
REPEAT=${2:-1000000}
TIMES=${3:-5}
LAB=${LAB:-fa-b}
scratch=$(mktemp -d)
loader_pid=
cleanup() {
  [ -n "$loader_pid" ] && kill "$loader_pid" 2>/dev/null && wait "$loader_pid" 2>/dev/null
  ip link del "$LAB-p0" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

ip link add "$LAB-p0" type veth peer name "$LAB-p1"
ip link set "$LAB-p0" up
ip link set "$LAB-p1" up
"$LOADER" -i "$LAB-p*" >/dev/null 2>"$scratch/loader.err" &
loader_pid=$!
# Our loader's programs, those its file descriptors hold (another run's loader may be up).
ours=
for _ in $(seq 50); do
  ours=$(grep -h '^prog_id:' /proc/"$loader_pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | tr '\n' ' ' || true)
  [ -n "$ours" ] && break
  sleep 0.1
done
sleep 0.5 # attached to both
prog=$(bpftool -j prog show | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s).find((p) => p.name === "flowaudit_in" && process.argv[1].split(" ").includes(String(p.id))).id))' "$ours")

# Frames and __sk_buff contexts (ifindex at byte 40) into $scratch.
node - "$scratch" "$(cat /sys/class/net/$LAB-p0/ifindex)" "$(cat /sys/class/net/$LAB-p1/ifindex)" <<'EOF'
const [dir, counting, other] = process.argv.slice(2);
const { writeFileSync } = require('node:fs');
const eth = (type) => Buffer.concat([Buffer.alloc(6, 2), Buffer.alloc(6, 4), Buffer.from([type >> 8, type & 0xff])]);
const tcp = Buffer.alloc(20 + 1448, 0x78);
tcp.writeUInt16BE(40000, 0); tcp.writeUInt16BE(5201, 2); tcp.writeUInt32BE(1000000, 4); tcp[12] = 0x50; tcp[13] = 0x10;
const udp = Buffer.alloc(8 + 40, 0x71);
udp.writeUInt16BE(40000, 0); udp.writeUInt16BE(53, 2); udp.writeUInt16BE(48, 4);
function ipv4(protocol, l4) {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + l4.length, 2); h[6] = 0x40; h[8] = 64; h[9] = protocol;
  Buffer.from([10, 238, 0, 1, 10, 238, 0, 2]).copy(h, 12);
  return Buffer.concat([eth(0x0800), h, l4]);
}
function ipv6(protocol, l4) {
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(l4.length, 4); h[6] = protocol; h[7] = 64;
  h[8] = h[24] = 0xfd; h[23] = 1; h[39] = 2;
  return Buffer.concat([eth(0x86dd), h, l4]);
}
writeFileSync(`${dir}/tcp`, ipv4(6, tcp));
writeFileSync(`${dir}/udp`, ipv4(17, udp));
writeFileSync(`${dir}/tcp6`, ipv6(6, tcp));
writeFileSync(`${dir}/arp`, Buffer.concat([eth(0x0806), Buffer.alloc(28)]));
for (const [name, ifindex] of [['counting', counting], ['other', other]]) {
  const ctx = Buffer.alloc(192);
  ctx.writeUInt32LE(Number(ifindex), 40);
  writeFileSync(`${dir}/ctx-${name}`, ctx);
}
EOF

# run FRAME CTX: the median of TIMES averages, in ns.
run() {
  for _ in $(seq "$TIMES"); do
    bpftool prog run id "$prog" data_in "$scratch/$1" ctx_in "$scratch/ctx-$2" repeat "$REPEAT" | grep -o 'duration (average): [0-9]*' | grep -o '[0-9]*$'
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
# The first runs insert each flow on the counting interface and send its payload.
for frame in tcp udp tcp6; do bpftool prog run id "$prog" data_in "$scratch/$frame" ctx_in "$scratch/ctx-counting" repeat 200 >/dev/null; done
echo "# $(date -u +%FT%TZ) $(uname -r), $LOADER ($(sha1sum "$LOADER" | cut -c1-12)), $REPEAT runs x $TIMES, median ns per pass"
echo "tcp-counted $(run tcp counting)"
echo "tcp-duplicate $(run tcp other)"
echo "udp-counted $(run udp counting)"
echo "tcp6-counted $(run tcp6 counting)"
echo "not-ip $(run arp counting)"
