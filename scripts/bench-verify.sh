#!/usr/bin/env bash
# scripts/bench-verify.sh - trustctl verify against `notary list` per image on the same
# trust dir: 200 repositories × 2,000 tags × 2 delegations, a 200-service stack.
# Prints wall times, peak memory and the ratio; needs the reference notary
# (scripts/reference.sh). RUNS=5 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
REFBIN="${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}"
RUNS="${RUNS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

go build -o "$work/trustctl" ./cmd/trustctl
echo "generating the data set in $work ..." >&2
go test ./internal/gate -run '^TestBenchData$' -count=1 -benchdata "$work/data" >/dev/null

# seconds with millisecond resolution of one command, output discarded
timed() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
best() { sort -n | head -1; }

verify_ms=$(for _ in $(seq "$RUNS"); do timed "$work/trustctl" verify "$work/data/stack.yml" --policy "$work/data/policy.yml" -d "$work/data/trust"; done | best)
peak_kb=n/a
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f '%M' -o "$work/rss" "$work/trustctl" verify "$work/data/stack.yml" --policy "$work/data/policy.yml" -d "$work/data/trust" >/dev/null 2>&1 || true
  peak_kb=$(tail -1 "$work/rss")
fi

# notary, offline (an unreachable server makes it read the cache), one `list` per image
guns=$(sed -n 's/^    image: \(.*\):[^:]*$/\1/p' "$work/data/stack.yml")
notary_once() {
  for gun in $guns; do
    "$REFBIN/notary" -d "$work/data/trust" -s https://127.0.0.1:1 list "$gun"
  done
}
notary_ms=$(for _ in $(seq "$RUNS"); do timed notary_once; done | best)

echo "trustctl verify (200 images, 200 repositories): ${verify_ms} ms (best of $RUNS), peak RSS ${peak_kb} KB"
echo "notary list × 200 (offline):                    ${notary_ms} ms (best of $RUNS)"
awk -v a="$notary_ms" -v b="$verify_ms" 'BEGIN { printf "ratio notary / trustctl: %.1fx\n", a / b }'
