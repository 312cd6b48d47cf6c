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
#                                          source internal/trust/repo/testdata/dockerlookup
#   docker-compose                         docker compose v5.6.0, for `config` merges of pin files
#                                          (works without an engine)
#   cosign2, cosign3                       sigstore cosign v2.6.5 and v3.1.3, for the migration
#                                          interop (each binary is named cosign upstream);
#                                          about 4 and 5 minutes to build on 2 cores from an
#                                          empty build cache, most of this script's time
#
# Binaries that exist are kept (FORCE=1 rebuilds); compiled packages stay in the Go build
# cache, so a rebuild on a warm machine takes seconds.
set -euo pipefail
NOTARY_VERSION=v0.7.0
COMPOSE_VERSION=v5.6.0
REGISTRY_VERSION=v3.1.2
COSIGN2_VERSION=v2.6.5
COSIGN3_VERSION=v3.1.3
BINDIR="${1:-${TRUSTCTL_REFBIN:-$HOME/.cache/trustctl/refbin}}"
mkdir -p "$BINDIR"
BINDIR="$(cd "$BINDIR" && pwd)"
log() { echo "reference: $*" >&2; }

missing=()
for cmd in notary notary-server notary-signer; do
  [ -x "$BINDIR/$cmd" ] && [ "${FORCE:-0}" != 1 ] || missing+=("github.com/theupdateframework/notary/cmd/$cmd@$NOTARY_VERSION")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "go install ${missing[*]}"
  GOBIN="$BINDIR" GOFLAGS= go install "${missing[@]}"
fi

if [ ! -x "$BINDIR/notary-server-fixed" ] || [ "${FORCE:-0}" = 1 ]; then
  log "building notary-server-fixed"
  src="$(GOFLAGS= go mod download -json "github.com/theupdateframework/notary@$NOTARY_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "cannot find notary source"; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -r "$src" "$work/notary"
  chmod -R u+w "$work/notary"
  cat > "$work/notary/server/handlers/rawfilename.go" <<'GO'
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
  grep -q 'strings.TrimSuffix(part.FileName(), ".json")' "$work/notary/server/handlers/default.go" ||
    { log "unexpected notary source layout; cannot apply the filename fix"; exit 1; }
  sed -i 's/strings.TrimSuffix(part.FileName(), ".json")/strings.TrimSuffix(rawFileName(part), ".json")/' \
    "$work/notary/server/handlers/default.go"
  (cd "$work/notary" && GOFLAGS=-mod=mod go build -o "$BINDIR/notary-server-fixed" ./cmd/notary-server)
fi

if [ ! -x "$BINDIR/docker-lookup" ] || [ "${FORCE:-0}" = 1 ]; then
  log "building docker-lookup"
  src="$(GOFLAGS= go mod download -json "github.com/theupdateframework/notary@$NOTARY_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "cannot find notary source"; exit 1; }
  oracle="$(mktemp -d)"
  cp -r "$src" "$oracle/notary"
  chmod -R u+w "$oracle/notary"
  mkdir -p "$oracle/notary/cmd/docker-lookup"
  cp "$(dirname "$0")/../internal/trust/repo/testdata/dockerlookup/main.go" "$oracle/notary/cmd/docker-lookup/"
  (cd "$oracle/notary" && GOFLAGS=-mod=mod go build -o "$BINDIR/docker-lookup" ./cmd/docker-lookup)
  rm -rf "$oracle"
fi

if [ ! -x "$BINDIR/docker-compose" ] || [ "${FORCE:-0}" = 1 ]; then
  # built inside its own module: its go.mod has exclude directives, which go install refuses
  log "building docker-compose $COMPOSE_VERSION"
  src="$(GOFLAGS= go mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "cannot find docker compose source"; exit 1; }
  compose="$(mktemp -d)"
  cp -r "$src" "$compose/compose"
  chmod -R u+w "$compose/compose"
  (cd "$compose/compose" && GOFLAGS=-mod=mod go build -o "$BINDIR/docker-compose" ./cmd)
  rm -rf "$compose"
fi

if [ ! -x "$BINDIR/registry" ] || [ "${FORCE:-0}" = 1 ]; then
  log "go install registry@$REGISTRY_VERSION"
  GOBIN="$BINDIR" GOFLAGS= go install "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
fi
# Both cosigns install as "cosign": build each into a folder of its own, then rename.
install_cosign() { # NAME MODULE VERSION
  if [ ! -x "$BINDIR/$1" ] || [ "${FORCE:-0}" = 1 ]; then
    log "go install $2/cmd/cosign@$3"
    local gobin
    gobin="$(mktemp -d)"
    GOBIN="$gobin" GOFLAGS= go install "$2/cmd/cosign@$3"
    mv "$gobin/cosign" "$BINDIR/$1"
    rmdir "$gobin"
  fi
}
install_cosign cosign2 github.com/sigstore/cosign/v2 "$COSIGN2_VERSION"
install_cosign cosign3 github.com/sigstore/cosign/v3 "$COSIGN3_VERSION"
echo "$BINDIR"
