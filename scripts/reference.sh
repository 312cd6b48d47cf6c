#!/usr/bin/env bash
# scripts/reference.sh [BINDIR] - install the reference implementation the interop tests
# run against, into BINDIR (default $TRUSTCTL_REFBIN or ~/.cache/trustctl/refbin):
#
#   notary, notary-server, notary-signer   unmodified `go install ...@v0.7.0`
#   notary-server-fixed                    v0.7.0 + the upstream fix (notary#1635) for Go >= 1.17,
#                                          whose mime/multipart strips "targets/" from the part
#                                          file name so the stock server rejects every delegation
#   registry                               distribution v3 registry, for signing real images
#   docker-lookup                          test oracle: docker 28's tag lookup (GetTargetByName +
#                                          its role filter) on notary v0.7.0's client library;
#                                          source internal/trust/repo/testdata/dockerlookup,
#                                          rebuilt whenever that source changes
#   docker-compose                         docker compose v5.6.0, for `config` merges of pin files
#                                          (works without an engine)
#   cosign2, cosign3                       sigstore cosign v2.6.5 and v3.1.3, for the migration
#                                          interop (each binary is named cosign upstream);
#                                          about 4 and 5 minutes to build on 2 cores from an
#                                          empty build cache, most of this script's time
#   goreleaser                             goreleaser v2.16.0 (the newest that builds with Go 1.26),
#                                          for `goreleaser check` of the release configuration
#
# Binaries that exist are kept (FORCE=1 rebuilds); compiled packages stay in the Go build
# cache, so a rebuild on a warm machine takes seconds. The builds run side by side: on a
# fresh machine module downloads and links then overlap with compiling.
set -euo pipefail
NOTARY_VERSION=v0.7.0
COMPOSE_VERSION=v5.6.0
REGISTRY_VERSION=v3.1.2
COSIGN2_VERSION=v2.6.5
COSIGN3_VERSION=v3.1.3
GORELEASER_VERSION=v2.16.0
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BINDIR="${1:-${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}}"
mkdir -p "$BINDIR"
BINDIR="$(cd "$BINDIR" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log() { echo "reference: $*" >&2; }
export GOFLAGS=

# wanted NAME [STAMP]: whether BINDIR/NAME must be built; with STAMP, also when the stamp
# recorded at its last build differs.
wanted() {
  [ "${FORCE:-0}" = 1 ] || [ ! -x "$BINDIR/$1" ] && return 0
  [ -n "${2:-}" ] && [ "$(cat "$BINDIR/$1.stamp" 2>/dev/null)" != "$2" ]
}

module_dir() { # MODULE@VERSION
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# writable_copy MODULE@VERSION DEST: a module's source to patch or build inside.
writable_copy() {
  local src
  src="$(module_dir "$1")"
  [ -d "$src" ] || { log "cannot find the source of $1"; return 1; }
  cp -r "$src" "$2"
  chmod -R u+w "$2"
}

build_notary() {
  GOBIN="$BINDIR" go install \
    "github.com/theupdateframework/notary/cmd/notary@$NOTARY_VERSION" \
    "github.com/theupdateframework/notary/cmd/notary-server@$NOTARY_VERSION" \
    "github.com/theupdateframework/notary/cmd/notary-signer@$NOTARY_VERSION"
}

build_notary_server_fixed() {
  local dir="$WORK/notary-fixed"
  writable_copy "github.com/theupdateframework/notary@$NOTARY_VERSION" "$dir"
  cat > "$dir/server/handlers/rawfilename.go" <<'GO'
package handlers

import (
	"mime"
	"mime/multipart"
)

// rawFileName is the unmodified filename parameter of a part (Go >= 1.17 strips folders).
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}
GO
  grep -q 'strings.TrimSuffix(part.FileName(), ".json")' "$dir/server/handlers/default.go" ||
    { log "unexpected notary source layout; cannot apply the filename fix"; return 1; }
  sed -i 's/strings.TrimSuffix(part.FileName(), ".json")/strings.TrimSuffix(rawFileName(part), ".json")/' \
    "$dir/server/handlers/default.go"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$BINDIR/notary-server-fixed" ./cmd/notary-server)
}

LOOKUP_SRC="$REPO/internal/trust/repo/testdata/dockerlookup/main.go"
LOOKUP_STAMP="$NOTARY_VERSION $(sha256sum "$LOOKUP_SRC" | cut -d' ' -f1)"
build_docker_lookup() {
  local dir="$WORK/notary-lookup"
  writable_copy "github.com/theupdateframework/notary@$NOTARY_VERSION" "$dir"
  mkdir -p "$dir/cmd/docker-lookup"
  cp "$LOOKUP_SRC" "$dir/cmd/docker-lookup/"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$BINDIR/docker-lookup" ./cmd/docker-lookup)
  echo "$LOOKUP_STAMP" > "$BINDIR/docker-lookup.stamp"
}

# docker compose is built inside its own module: its go.mod has exclude directives,
# which go install refuses.
build_docker_compose() {
  local dir="$WORK/compose"
  writable_copy "github.com/docker/compose/v5@$COMPOSE_VERSION" "$dir"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$BINDIR/docker-compose" ./cmd)
}

build_registry() {
  GOBIN="$BINDIR" go install "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
}

# Both cosigns install as "cosign": each is built into a folder of its own, then renamed.
build_cosign() { # NAME MODULE VERSION
  local gobin="$WORK/$1"
  mkdir -p "$gobin"
  GOBIN="$gobin" go install "$2/cmd/cosign@$3"
  mv "$gobin/cosign" "$BINDIR/$1"
}

build_goreleaser() {
  GOBIN="$BINDIR" go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
}

jobs=()
start() { # NAME COMMAND...: run a build in the background, its output in a log
  local name="$1"
  shift
  log "building $name"
  "$@" >"$WORK/$name.log" 2>&1 &
  jobs+=("$name:$!")
}
{ wanted notary || wanted notary-server || wanted notary-signer; } && start notary build_notary
wanted notary-server-fixed && start notary-server-fixed build_notary_server_fixed
wanted docker-lookup "$LOOKUP_STAMP" && start docker-lookup build_docker_lookup
wanted docker-compose && start docker-compose build_docker_compose
wanted registry && start registry build_registry
wanted cosign2 && start cosign2 build_cosign cosign2 github.com/sigstore/cosign/v2 "$COSIGN2_VERSION"
wanted goreleaser && start goreleaser build_goreleaser
wanted cosign3 && start cosign3 build_cosign cosign3 github.com/sigstore/cosign/v3 "$COSIGN3_VERSION"

failed=0
for job in "${jobs[@]}"; do
  if ! wait "${job#*:}"; then
    log "${job%%:*} failed:"
    cat "$WORK/${job%%:*}.log" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "$BINDIR"
