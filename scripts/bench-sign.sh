#!/usr/bin/env bash
# scripts/bench-sign.sh - sign and publish 1,000 tags against a real notary-server
# (notary-server-fixed + notary-signer on loopback, TLS): one `trustctl sign` command
# against `notary addhash` ×1,000 + `notary publish`. Repository creation is not timed.
# Needs the reference binaries (scripts/reference.sh). RUNS=3 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRUSTCTL_REFBIN="${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}"
RUNS="${RUNS:-3}"
go test ./internal/trust/client -run '^$' -bench '^BenchmarkSign1000$' -benchtime 1x -count "$RUNS" -timeout 30m |
  awk '/^BenchmarkSign1000/ { printf "%-45s %8.2f s\n", $1, $3 / 1e9 }'
