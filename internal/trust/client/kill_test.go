package client_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// TestHelperSign is the process TestKillDuringPublish kills: it signs one tag.
func TestHelperSign(t *testing.T) {
	dir := os.Getenv("HELPER_TRUST_DIR")
	if dir == "" {
		t.Skip("helper process")
	}
	e := &env{t: t, srv: &testenv.Server{}}
	r := e.repoVia(t, os.Getenv("HELPER_SERVER"), dir, os.Getenv("HELPER_GUN"), time.Minute, passphrases)
	r.Sign(ctx(t), []client.Target{{Name: os.Getenv("HELPER_TAG"), Digest: digest1, Size: 9}}, nil)
}

// TestKillDuringPublish kills a signing process while its publish is in flight and
// while it refreshes the cache afterwards: the trust dir is as before (or, once the
// refresh is done, fully updated), verifies, and the next command works.
func TestKillDuringPublish(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	gun := "127.0.0.1:5000/dev/kill"
	owner := t.TempDir()
	r := e.repoVia(t, p.URL, owner, gun, time.Minute, passphrases)
	if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tag string
		afterPOST bool
		stored    bool
	}{
		{"during the upload", "a", false, false},
		{"during the refresh", "b", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			p.set(holdAt(tc.afterPOST, arrived))
			defer p.set(nil)
			before := tree(t, owner)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSign$")
			cmd.Env = append(os.Environ(), "HELPER_TRUST_DIR="+owner, "HELPER_SERVER="+p.URL, "HELPER_GUN="+gun,
				"HELPER_TAG="+tc.tag, "TRUSTCTL_REFBIN="+os.Getenv("TRUSTCTL_REFBIN"))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatal("the helper never reached the fault")
			}
			cmd.Process.Kill()
			cmd.Wait()
			p.set(nil)
			sameTree(t, owner, before)
			// The lock died with the process; the server has the update or not at all.
			meta, err := r.Fetch(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := meta.Targets.Signed.Targets[tc.tag]; ok != tc.stored {
				t.Fatalf("tag %s on the server: %v, want %v", tc.tag, ok, tc.stored)
			}
			if _, err := repo.Open(store.Dir{Root: owner}, gun, repo.Options{}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Sign(ctx(t), []client.Target{{Name: tc.tag + "-next", Digest: digest1, Size: 1}}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// holdAt holds the publish or, with afterPOST, lets it through and holds the
// timestamp download that follows, until the client goes away; arrived is signalled.
func holdAt(afterPOST bool, arrived chan<- struct{}) func(http.ResponseWriter, *http.Request, http.Handler) bool {
	var published atomic.Bool
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		isPOST := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_trust/tuf/")
		switch {
		case isPOST && afterPOST:
			next.ServeHTTP(w, r)
			published.Store(true)
			return true
		case isPOST, published.Load() && strings.HasSuffix(r.URL.Path, "/timestamp.json"):
			// The server notices the client going away only once the body is read.
			io.Copy(io.Discard, r.Body)
			arrived <- struct{}{}
			<-r.Context().Done()
			return true
		}
		return false
	}
}
