#!/usr/bin/env bash
# The full test run (README "Tests"; .ci/run calls it): installs what the tests need on a fresh
# Debian machine, builds, runs every test, and ends with one line "N passed, N failed[, N skipped]"
# taken from vitest's own JSON report. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real tools the tests run against: capture (tcpdump), the reference dissector (tshark/editcap),
# namespaces (iproute2), TLS and HTTP peers (openssl, curl), libpcap headers for the cap addon,
# promtool (prometheus) to check the metrics, a PostgreSQL server for the SSLRequest test,
# prlimit/setpriv/runuser (util-linux) and script (bsdutils) for the limits, capability and
# progress tests; the eBPF engine's build (native/: clang, llvm, bpftool, libbpf, libelf, zlib,
# protobuf-c, make, a C compiler) and its kernel tests (bpftool, tc from iproute2).
DEBIAN_PACKAGES=(tcpdump tshark iproute2 openssl curl libpcap-dev python3 gzip prometheus postgresql util-linux bsdutils
  make gcc libc6-dev clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev protobuf-c-compiler libprotobuf-c-dev)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
# The eBPF loader (docs/ebpf.md). Where it cannot be built the rest still builds and tests; the
# eBPF tests then skip and say why, and fail under CI=true.
if ! make -s -C native; then
  echo "flowaudit: native/ did not build: the eBPF tests will skip (fail with CI=true)" >&2
fi
# Source and tests both type-check (tests run from TypeScript, so nothing else would check them).
npm run --silent typecheck

report=$(mktemp --suffix=.json)
trap 'rm -f "$report"' EXIT
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report"
exit $status
