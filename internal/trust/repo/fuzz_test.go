package repo_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

var fuzzNow = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// FuzzVerifyRepo replaces one file of a valid trust dir with fuzzed bytes and runs the
// whole verification and every query: no panic, and a repository that verifies still
// answers consistently.
func FuzzVerifyRepo(f *testing.F) {
	r := tuftest.New(f, "registry.example.com/fuzz/app", fuzzNow)
	r.AddTarget(tuf.RoleTargets, "v1", []byte("one"))
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(f))
	r.Delegate("targets/releases", "targets/releases/ci", []string{"ci-"}, tuftest.NewKey(f))
	r.AddTarget("targets/releases", "v2", []byte("two"))
	r.AddTarget("targets/releases/ci", "ci-1", []byte("ci"))
	r.RotateRoot(f, tuftest.NewCertKey(f, r.GUN, fuzzNow.Add(-time.Hour), fuzzNow.AddDate(1, 0, 0)))
	r.Publish(f)
	roles := make([]string, 0, len(r.Files))
	for role := range r.Files {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for i, role := range roles {
		f.Add(uint8(i), r.Files[role])
	}
	dir := r.TrustDir(f)
	mdir, _ := dir.MetadataDir(r.GUN)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		role := roles[int(which)%len(roles)]
		path := filepath.Join(mdir, filepath.FromSlash(tuf.FileName(role)))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(path, r.Files[role], 0o600)
		rp, err := repo.Open(dir, r.GUN, repo.Options{Now: fuzzNow})
		if err != nil {
			return
		}
		for _, tag := range []string{"v1", "v2", "ci-1", ""} {
			if l, err := rp.Lookup(tag); err == nil {
				rp.Signers(tag, l.Digest)
				rp.FindDigest(l.Digest)
			}
			rp.Inspect(tag)
		}
		rp.List()
		rp.Roles()
	})
}
