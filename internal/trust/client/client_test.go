package client_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

const digest1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestInitSignFetch(t *testing.T) {
	e := newEnv(t)
	owner := t.TempDir()
	gun := "127.0.0.1:5000/dev/app"
	r := e.repo(owner, gun)
	if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	into, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 100}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := into["1.0"]; len(got) != 1 || got[0] != "targets" {
		t.Fatalf("signed into %v", got)
	}
	// The cache serves offline reads.
	rp, err := repo.Open(store.Dir{Root: owner}, gun, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tg, err := rp.Lookup("1.0"); err != nil || tg.Digest != digest1 {
		t.Fatalf("lookup: %v %v", tg, err)
	}
	// A fresh notary client sees the same.
	out := e.notary(t.TempDir(), "list", gun)
	if !strings.Contains(out, "1.0") || !strings.Contains(out, strings.TrimPrefix(digest1, "sha256:")) {
		t.Fatalf("notary list:\n%s", out)
	}
	// A fresh trustctl fetch too.
	ci := t.TempDir()
	if _, err := e.repo(ci, gun).Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Open(store.Dir{Root: ci}, gun, repo.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestParallelFetch fetches two repositories, each twice, into one trust dir at once.
func TestParallelFetch(t *testing.T) {
	e := newEnv(t)
	guns := []string{"127.0.0.1:5000/dev/p1", "127.0.0.1:5000/dev/p2"}
	owner, ci := t.TempDir(), t.TempDir()
	for _, gun := range guns {
		r := e.repo(owner, gun)
		if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := e.repo(ci, guns[i%2]).Fetch(ctx(t))
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, gun := range guns {
		rp, err := repo.Open(store.Dir{Root: ci}, gun, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Lookup("1.0"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecreateDelegation deletes a signed delegation and creates it again with the same
// key, with a snapshot the client signs (it drops the role's entry): the server still
// holds the old file, so the new one must continue above its version.
func TestRecreateDelegation(t *testing.T) {
	e := newEnv(t)
	owner := t.TempDir()
	gun := "127.0.0.1:5000/dev/recreate"
	r := e.repo(owner, gun)
	if _, err := r.Init(ctx(t), client.InitOptions{LocalSnapshot: true}); err != nil {
		t.Fatal(err)
	}
	_, qaKey, err := keys.Open(store.Dir{Root: owner}, keys.NewPassphraseSource(passphrases, nil)).Generate("qa", "")
	if err != nil {
		t.Fatal(err)
	}
	qa := []string{"targets/qa"}
	for i, tag := range []string{"1.0", "2.0"} {
		if i > 0 {
			if _, err := r.RemoveDelegation(ctx(t), qa[0], nil, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.AddDelegation(ctx(t), qa[0], []tuf.PublicKey{qaKey}, nil, false); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sign(ctx(t), []client.Target{{Name: tag, Digest: digest1, Size: 1}}, qa); err != nil {
			t.Fatalf("sign %s into %s: %v", tag, qa[0], err)
		}
	}
	out := e.notary(t.TempDir(), "list", gun)
	if !regexp.MustCompile(`(?m)^2\.0 .* targets/qa\s*$`).MatchString(out) || strings.Contains(out, "1.0") {
		t.Fatalf("notary list, want 2.0 in targets/qa only:\n%s", out)
	}
}
