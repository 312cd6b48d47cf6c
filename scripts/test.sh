#!/usr/bin/env bash
# scripts/test.sh - everything CI runs, from a fresh machine: installs the reference
# binaries (notary v0.7.0, notary-server, notary-signer, registry, cosign v2 and v3),
# vets, runs every test (unit, testscript end-to-end, interop against the real binaries)
# and each fuzz target for a short time.
#   FUZZTIME=3000x (per fuzz target)   TRUSTCTL_REFBIN=DIR (reference binaries)
# Measured on a fresh machine (empty HOME, Go build and module caches): 14 min 48 s, of
# which the reference builds take about 7; with the caches of an earlier run about 2 min.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRUSTCTL_REFBIN="${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}"
# A count, not a duration: with a -fuzztime duration Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" at the deadline (golang/go#75804, fixed
# in Go 1.27).
FUZZTIME="${FUZZTIME:-3000x}"

# Tools the end-to-end scripts run: strace proves verify opens no socket, zip makes
# client bundles.
missing_pkgs=()
for tool in strace zip; do command -v "$tool" >/dev/null || missing_pkgs+=("$tool"); done
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
fi
scripts/reference.sh "$TRUSTCTL_REFBIN" >/dev/null
go vet ./...
unformatted="$(gofmt -l cmd internal)"
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted" >&2; exit 1; }

go test -count=1 ./...

# The release configuration must stay valid (goreleaser is built by reference.sh).
"$TRUSTCTL_REFBIN/goreleaser" check -q

# Each fuzz target on its own: go test -fuzz takes one target per run.
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    if ! out="$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)"; then
      echo "$out" >&2
      exit 1
    fi
  done
done
echo "all tests and fuzz targets passed"
