package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestInteropPinAcrossNotaryRotations: the real notary CLI rotates the root key twice
// on the real notary-server. A runner that fetched before the rotations and a fresh one
// reach the same decision for a pin on the old root key, on the new one and on an
// unrelated key.
func TestInteropPinAcrossNotaryRotations(t *testing.T) {
	e := newEnv(t)
	gun := "127.0.0.1:5000/dev/pinrotate"
	admin, old := t.TempDir(), t.TempDir()
	e.notary(admin, "init", gun, "-p")
	meta, err := e.repo(old, gun).Fetch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	first := meta.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	e.notary(admin, "key", "rotate", gun, "root")
	e.notary(admin, "key", "rotate", gun, "root")
	meta, err = e.repo(t.TempDir(), gun).Fetch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Root.Version < 3 {
		t.Fatalf("root v%d after two rotations", meta.Root.Version)
	}
	last := meta.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	unrelated := tuftest.NewCertKey(t, gun, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)).PublicKey().ID()
	for _, tc := range []struct {
		name string
		pin  string
		want error
	}{{"old root key", first, nil}, {"new root key", last, nil}, {"unrelated key", unrelated, tuf.ErrPinMismatch}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, runner := range []string{"fetched before the rotations", "fresh"} {
				dir := t.TempDir()
				if runner != "fresh" {
					dir = copyTree(t, old)
				}
				before := tree(t, dir)
				r := e.repoWith(t, dir, gun, client.Options{Pin: &tuf.Pin{CertIDs: []string{tc.pin}}})
				_, err := r.Fetch(ctx(t))
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("%s: got %v, want %v", runner, err, tc.want)
				}
				if err != nil {
					sameTree(t, dir, before)
				}
			}
		})
	}
}

// repoWith opens gun in trustDir against the server with opts.
func (e *env) repoWith(t *testing.T, trustDir, gun string, opts client.Options) *client.Repository {
	t.Helper()
	rc, err := server.New(e.srv.URL, gun, server.Options{CAFile: e.srv.CAFile, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir := store.Dir{Root: trustDir}
	return client.New(dir, gun, keys.Open(dir, keys.NewPassphraseSource(passphrases, nil)), rc, opts)
}
