package client_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
			if _, err := r.RemoveDelegation(ctx(t), qa[0], client.RemoveOptions{Releases: true}); err != nil {
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

// TestFetchDelegationLevels: the delegation files of one level of the tree are
// downloaded at once, the next level after them, and the result verifies as a whole.
func TestFetchDelegationLevels(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	owner := t.TempDir()
	gun := "127.0.0.1:5000/dev/levels"
	r := e.repo(owner, gun)
	if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	_, key, err := keys.Open(store.Dir{Root: owner}, keys.NewPassphraseSource(passphrases, nil)).Generate("team", "")
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{"targets/a", "targets/b", "targets/c", "targets/d", "targets/a/nested"}
	for _, role := range roles {
		if err := r.AddDelegation(ctx(t), role, []tuf.PublicKey{key}, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, roles); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var inFlight, most int
	var order []string // delegation downloads, by the time they finished
	p.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		_, role, ok := strings.Cut(r.URL.Path, "/_trust/tuf/targets/")
		if !ok {
			return false
		}
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(200 * time.Millisecond) // long enough for the level's other downloads to start
		next.ServeHTTP(w, r)
		mu.Lock()
		inFlight--
		order = append(order, role[:strings.Index(role, ".")])
		mu.Unlock()
		return true
	})
	meta, err := e.repoVia(t, p.URL, t.TempDir(), gun, 30*time.Second, passphrases).Fetch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if most != 4 || len(order) != 5 || order[4] != "a/nested" {
		t.Fatalf("%d downloads at once, in the order %v; want the 4 of the first level at once, then a/nested", most, order)
	}
	if got := client.Delegations(meta); len(got) != len(roles) || len(meta.Invalid) > 0 {
		t.Fatalf("delegations %v, refused %v", got, meta.Invalid)
	}
}

// TestAddDelegationKeepsPaths: adding a key to a restricted role keeps its paths, as
// `notary delegation add` does without --paths; only explicit paths (or all paths,
// "") widen it.
func TestAddDelegationKeepsPaths(t *testing.T) {
	e := newEnv(t)
	owner := t.TempDir()
	gun := "127.0.0.1:5000/dev/keep-paths"
	r := e.repo(owner, gun)
	if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	ks := keys.Open(store.Dir{Root: owner}, keys.NewPassphraseSource(passphrases, nil))
	_, first, err := ks.Generate("first", "")
	if err != nil {
		t.Fatal(err)
	}
	_, second, err := ks.Generate("second", "")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		key   tuf.PublicKey
		paths []string
		want  []string
	}{
		{first, []string{"1."}, []string{"1."}},
		{second, nil, []string{"1."}},
		{second, []string{"2."}, []string{"1.", "2."}},
		{second, []string{""}, []string{"1.", "2.", ""}},
	}
	for i, step := range steps {
		if err := r.AddDelegation(ctx(t), "targets/qa", []tuf.PublicKey{step.key}, step.paths, false); err != nil {
			t.Fatal(err)
		}
		meta, err := r.Fetch(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		ds := client.Delegations(meta)
		if len(ds) != 1 || !slices.Equal(ds[0].Paths, step.want) {
			t.Fatalf("step %d: delegations %+v, want targets/qa with paths %q", i, ds, step.want)
		}
	}
}

// TestInitUsesCurrentRootKey: after a root rotation the old root key stays in the trust
// dir; a new repository gets the key that signs the current root, not the rotated-out
// one, whatever their IDs.
func TestInitUsesCurrentRootKey(t *testing.T) {
	e := newEnv(t)
	owner := t.TempDir()
	for i := range 4 { // the new key's ID sorts below the old one's at least once
		first := e.repo(owner, fmt.Sprintf("127.0.0.1:5000/dev/rootkey-%d", i))
		if _, err := first.Init(ctx(t), client.InitOptions{}); err != nil {
			t.Fatal(err)
		}
		rotated, err := first.RotateKey(ctx(t), tuf.RoleRoot, false)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := rotated.CanonicalID()
		k, err := e.repo(owner, fmt.Sprintf("127.0.0.1:5000/dev/rootkey-%d-next", i)).Init(ctx(t), client.InitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if k.Root != want {
			t.Fatalf("round %d: init used root key %s, want the current one %s", i, k.Root, want)
		}
	}
}
