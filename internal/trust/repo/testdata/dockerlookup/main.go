// Command docker-lookup is a test oracle, built by scripts/reference.sh inside notary
// v0.7.0's module and never linked into trustctl: it resolves tags exactly as docker 28
// does with DOCKER_CONTENT_TRUST=1 (cli/command/image/trust.go TrustedReference).
//
//	docker-lookup METADATA_DIR GUN TAG...
//
// METADATA_DIR is a trust dir's tuf/<gun>/metadata folder. It is served as the notary
// server would serve it, to a client with an empty cache, so notary's own update
// (tufclient.Update: which refused delegations are skipped and which abort) runs as in
// an online docker pull. One JSON object per tag is printed.
package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/theupdateframework/notary/client"
	"github.com/theupdateframework/notary/client/changelist"
	"github.com/theupdateframework/notary/cryptoservice"
	store "github.com/theupdateframework/notary/storage"
	"github.com/theupdateframework/notary/trustpinning"
	"github.com/theupdateframework/notary/tuf/data"
)

// releasesRole is docker's trust.ReleasesRole.
const releasesRole = data.RoleName("targets/releases")

// folderRemote serves a metadata folder like a notary server: consistent names
// (role.<sha256 hex>) map to the role's file, which the client checks against the hash.
type folderRemote struct {
	store.OfflineStore
	dir string
}

func (f folderRemote) GetSized(name string, size int64) ([]byte, error) {
	if i := strings.LastIndex(name, "."); i >= 0 && len(name)-i-1 == 64 {
		if _, err := hex.DecodeString(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, store.ErrMetaNotFound{Resource: name}
	}
	if err != nil {
		return nil, err
	}
	if size >= 0 && int64(len(raw)) > size {
		return nil, store.ErrMaliciousServer{}
	}
	return raw, nil
}

func (f folderRemote) Location() string { return f.dir }

// result is one tag's outcome.
type result struct {
	Tag string `json:"tag"`
	// Role and Digest are GetTargetByName's match, whatever its role.
	Role   string `json:"role,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Accepted is docker's role filter: the match is in targets/releases or targets
	// and has a sha256 hash (convertTarget).
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: docker-lookup METADATA_DIR GUN TAG...")
		os.Exit(2)
	}
	dir, gun := os.Args[1], data.GUN(os.Args[2])
	enc := json.NewEncoder(os.Stdout)
	for _, tag := range os.Args[3:] {
		// A new repository per tag: every lookup starts from an empty cache.
		r, err := client.NewRepository(gun, "https://oracle.invalid", folderRemote{dir: dir}, store.NewMemoryStore(nil),
			trustpinning.TrustPinConfig{}, cryptoservice.NewCryptoService(), changelist.NewMemChangelist())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		res := result{Tag: tag}
		t, err := r.GetTargetByName(tag, releasesRole, data.CanonicalTargetsRole)
		if err != nil {
			res.Error = err.Error()
		} else {
			res.Role = t.Role.String()
			if h, ok := t.Hashes["sha256"]; ok {
				res.Digest = "sha256:" + hex.EncodeToString(h)
			}
			res.Accepted = (t.Role == releasesRole || t.Role == data.CanonicalTargetsRole) && res.Digest != ""
		}
		if err := enc.Encode(res); err != nil {
			os.Exit(1)
		}
	}
}
