#!/usr/bin/env bash
# `npm run demo`: audits the bundled Apigee hybrid 1.4 sample capture (real traffic between network
# namespaces named after the components, with deliberate violations; see
# test/fixtures/profiles/README.md) against the shipped apigee-hybrid-1.4 profile.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bin/flowaudit.js ] || npm run --silent build
sample=test/fixtures/profiles/apigee-hybrid-1.4
echo "\$ flowaudit analyze $sample.pcapng --rules apigee-hybrid-1.4 --inventory $sample.inventory.yaml"
echo
set +e
node dist/bin/flowaudit.js analyze "$sample.pcapng" --rules apigee-hybrid-1.4 --inventory "$sample.inventory.yaml"
status=$?
set -e
echo
echo "exit code $status (0 compliant, 1 violations found: this sample has deliberate ones, 2 bad input)"
[ "$status" -le 1 ]
