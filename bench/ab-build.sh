#!/usr/bin/env bash
# Builds two versions side by side for A/B measurements: REV (default HEAD) into bench/out/ab/A and
# the working tree (uncommitted changes included) into bench/out/ab/B, each with its own dist/
# (tsc and the bundled CLI) and this checkout's node_modules linked in.
#
#   bash bench/ab-build.sh [REV]
#   node bench/audit-ab.mjs CAPTURE [ROUNDS]             the audit alone, in process, A and B alternating
#   node bench/out/ab/A/dist/bin/flowaudit.js analyze ...  whole runs (interleave them, see overhead.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-HEAD}
AB=bench/out/ab
rm -rf "$AB" && mkdir -p "$AB/A" "$AB/B"
git archive "$REV" | tar -x -C "$AB/A"
git ls-files -co --exclude-standard | grep -v '^bench/out/' | tar -cf - -T - | tar -x -C "$AB/B"
for side in A B; do
  ln -s "$PWD/node_modules" "$AB/$side/node_modules"
  (cd "$AB/$side" && node scripts/generate-schema-validator.mjs >/dev/null && npx tsc -p tsconfig.json && node scripts/bundle-cli.mjs)
done
echo "A: $(git rev-parse --short "$REV"), B: the working tree"
