package client_test

import (
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
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
