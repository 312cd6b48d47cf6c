#!/usr/bin/env bash
# scripts/bench-list.sh - `trustctl list` against `notary list`, offline, on one trust
# dir: a repository of 2,000 tags in targets/releases and a team role (what
# BenchmarkOpenLookup2000 measures in-process). Prints best wall times and the ratio.
# Needs the reference notary (scripts/reference.sh). RUNS=10 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
REFBIN="${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}"
RUNS="${RUNS:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

go build -o "$work/trustctl" ./cmd/trustctl
go test ./internal/gate -run '^TestBenchData$' -count=1 -benchdata "$work/data" -benchrepos 1 >/dev/null
gun=registry.example.com/bench/app000

best_ms() { # best wall time in ms of RUNS runs of a command
  local best=999999999 start end ms
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    [ "$ms" -lt "$best" ] && best=$ms
  done
  echo "$best"
}
# the two listings must agree before their times mean anything
diff <("$work/trustctl" -d "$work/data/trust" list --offline "$gun" | awk 'NR>1 {print $1, $2, $3, $4}') \
     <("$REFBIN/notary" -d "$work/data/trust" -s https://127.0.0.1:1 list "$gun" 2>/dev/null | awk 'NR>2 && NF {print $1, $2, $3, $4}')
t=$(best_ms "$work/trustctl" -d "$work/data/trust" list --offline "$gun")
n=$(best_ms "$REFBIN/notary" -d "$work/data/trust" -s https://127.0.0.1:1 list "$gun")
echo "trustctl list (2,000 tags, 2 delegations): ${t} ms (best of $RUNS)"
echo "notary list, offline:                      ${n} ms (best of $RUNS)"
awk -v a="$n" -v b="$t" 'BEGIN { printf "ratio notary / trustctl: %.1fx\n", a / b }'
