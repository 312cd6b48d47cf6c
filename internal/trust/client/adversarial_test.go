package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

const fakeGUN = "registry.example.com/dev/app"

// fakeRepo opens gun in trustDir through the fake server.
func fakeRepo(t testing.TB, srv *tuftest.Server, trustDir, gun string, opts client.Options) *client.Repository {
	t.Helper()
	rc, err := server.New(srv.URL, gun, server.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir := store.Dir{Root: trustDir}
	return client.New(dir, gun, keys.Open(dir, keys.NewPassphraseSource(passphrases, nil)), rc, opts)
}

// next moves roles to their next version, re-signs them, the snapshot and the timestamp.
func next(t *testing.T, r *tuftest.Repo, roles ...string) {
	t.Helper()
	for _, role := range roles {
		if role == tuf.RoleRoot {
			r.Root.Version++
		} else {
			r.Targets[role].Version++
		}
		r.SignRole(t, role)
	}
	r.Snapshot.Version++
	r.Timestamp.Version++
	r.UpdateSnapshot(t)
}

// resign re-signs a role's file as it is with other signers (none: unsigned).
func resign(t *testing.T, r *tuftest.Repo, role string, signers ...*tuf.Signer) {
	t.Helper()
	env, err := tuf.ParseEnvelope(r.Files[role])
	if err != nil {
		t.Fatal(err)
	}
	r.Files[role] = tuftest.SignRaw(t, env.Signed, signers...)
}

func withDelegations(t *testing.T, n int) *tuftest.Repo {
	r := tuftest.New(t, fakeGUN, time.Now())
	for i := range n {
		name := fmt.Sprintf("targets/d%02d", i)
		r.Delegate(tuf.RoleTargets, name, []string{fmt.Sprintf("d%02d/", i)}, tuftest.NewKey(t))
		r.AddTarget(name, fmt.Sprintf("d%02d/1", i), []byte("x"))
	}
	r.AddTarget(tuf.RoleTargets, "1.0", []byte("one"))
	r.Publish(t)
	return r
}

// slowDelegations delays every download of a delegation by d.
func slowDelegations(d time.Duration) func(http.ResponseWriter, *http.Request, string) bool {
	return func(w http.ResponseWriter, r *http.Request, file string) bool {
		if !strings.HasPrefix(file, "targets/") {
			return false
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		return false
	}
}

// TestRejections is the adversarial suite of the fetch path: each case builds a
// server state, fetches it into a trust dir (fresh, or holding the state before the
// attack) and asserts the reason and that the trust dir is byte-identical afterwards.
func TestRejections(t *testing.T) {
	rootKey := func(r *tuftest.Repo) string { return r.Root.Roles[tuf.RoleRoot].KeyIDs[0] }
	for _, tc := range []struct {
		name string
		// cached fetches the state before attack into the trust dir first.
		cached bool
		opts   func(r *tuftest.Repo) client.Options
		attack func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server)
		want   error
		// says are parts of the message.
		says []string
	}{
		{name: "unsigned timestamp, 24 slow delegations (first contact)", want: tuf.ErrSignature,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				resign(t, r, tuf.RoleTimestamp)
				srv.SetHook(slowDelegations(5 * time.Second))
			}},
		{name: "unsigned timestamp, 24 slow delegations (cached)", cached: true, want: tuf.ErrSignature,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				for i := range 24 {
					r.AddTarget(fmt.Sprintf("targets/d%02d", i), fmt.Sprintf("d%02d/2", i), []byte("y"))
					r.Targets[fmt.Sprintf("targets/d%02d", i)].Version++
					r.SignRole(t, fmt.Sprintf("targets/d%02d", i))
				}
				next(t, r)
				resign(t, r, tuf.RoleTimestamp)
				srv.SetHook(slowDelegations(5 * time.Second))
			}},
		{name: "timestamp by a foreign key", cached: true, want: tuf.ErrThreshold,
			attack: func(t *testing.T, r *tuftest.Repo, _ *tuftest.Server) {
				next(t, r)
				resign(t, r, tuf.RoleTimestamp, tuftest.NewKey(t))
			}},
		{name: "snapshot length beyond any metadata file", want: tuf.ErrLength,
			attack: func(t *testing.T, r *tuftest.Repo, _ *tuftest.Server) {
				r.Mutate(t, tuf.RoleTimestamp, func(s map[string]any) {
					s["meta"].(map[string]any)["snapshot"].(map[string]any)["length"] = 1 << 40
				})
			}},
		{name: "pin on an unrelated key (first contact)", want: tuf.ErrPinMismatch,
			opts: func(*tuftest.Repo) client.Options {
				return client.Options{Pin: &tuf.Pin{CertIDs: []string{strings.Repeat("ab", 32)}}}
			},
			says: []string{"expected " + strings.Repeat("ab", 32)}},
		{name: "timestamp rolled back", cached: true, want: tuf.ErrRollback,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				r.Timestamp.Version = 1
				r.UpdateTimestamp(t)
			}},
		{name: "targets rolled back", cached: true, want: tuf.ErrRollback,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				r.Targets[tuf.RoleTargets].Version = 1
				r.SignRole(t, tuf.RoleTargets)
				r.Snapshot.Version += 5
				r.Timestamp.Version += 5
				r.UpdateSnapshot(t)
			}},
		{name: "snapshot drops a delegation its parent still delegates to", cached: true, want: tuf.ErrRollback,
			says: []string{"targets/d07", "no longer lists it"},
			attack: func(t *testing.T, r *tuftest.Repo, _ *tuftest.Server) {
				next(t, r)
				delete(r.Snapshot.Meta, "targets/d07")
				r.SignRole(t, tuf.RoleSnapshot)
				r.UpdateTimestamp(t)
			}},
		{name: "delegation rolled back", cached: true, want: tuf.ErrRollback, says: []string{"targets/d03"},
			attack: func(t *testing.T, r *tuftest.Repo, _ *tuftest.Server) {
				r.Targets["targets/d03"].Version = 1
				r.SignRole(t, "targets/d03")
				next(t, r)
			}},
		{name: "replay of the state before a root rotation", cached: true, want: tuf.ErrRollback,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				// The cache holds root v2 and targets v3; the server replays targets v2
				// and a snapshot naming root v1, re-signed with a higher version.
				current := r.Files[tuf.RoleRoot]
				r.Files[tuf.RoleRoot] = r.Files["1.root"]
				r.Targets[tuf.RoleTargets].Version--
				r.SignRole(t, tuf.RoleTargets)
				r.Snapshot.Version += 5
				r.Timestamp.Version += 5
				r.UpdateSnapshot(t)
				r.Files[tuf.RoleRoot] = current
			}},
		{name: "root re-signed at its version by a foreign key", cached: true, want: tuf.ErrThreshold,
			attack: func(t *testing.T, r *tuftest.Repo, srv *tuftest.Server) {
				r.Root.Expires = r.Root.Expires.Add(time.Hour)
				r.Signers[tuf.RoleRoot] = []*tuf.Signer{tuftest.NewCertKey(t, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(1, 0, 0))}
				r.SetRoleKeys(tuf.RoleRoot, r.Signers[tuf.RoleRoot]...)
				r.SignRole(t, tuf.RoleRoot)
				next(t, r)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := withDelegations(t, 24)
			next(t, r, tuf.RoleTargets, "targets/d03")
			next(t, r, tuf.RoleTargets, "targets/d03")
			if tc.name == "replay of the state before a root rotation" {
				next(t, r, tuf.RoleTargets)
				r.RotateRoot(t, tuftest.NewCertKey(t, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(10, 0, 0)))
				next(t, r, tuf.RoleTargets)
			}
			srv := tuftest.NewServer(t)
			srv.Serve(r)
			dir := t.TempDir()
			var opts client.Options
			if tc.opts != nil {
				opts = tc.opts(r)
			}
			repo := fakeRepo(t, srv, dir, r.GUN, opts)
			if tc.cached {
				if _, err := repo.Fetch(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			before := tree(t, dir)
			if tc.attack != nil {
				tc.attack(t, r, srv)
			}
			srv.Serve(r)
			start := time.Now()
			_, err := repo.Fetch(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
			if tc.want == tuf.ErrPinMismatch && !strings.Contains(err.Error(), rootKey(r)) {
				t.Errorf("%q does not name the root key %s", err, rootKey(r))
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %s", took)
			}
			sameTree(t, dir, before)
		})
	}
}

// TestUnsignedTimestampDownloadsNothingElse: the timestamp is verified before the
// snapshot length it states is used; 24 slow delegations are not even asked for.
func TestUnsignedTimestampDownloadsNothingElse(t *testing.T) {
	r := withDelegations(t, 24)
	resign(t, r, tuf.RoleTimestamp)
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	srv.SetHook(slowDelegations(5 * time.Second))
	start := time.Now()
	_, err := fakeRepo(t, srv, t.TempDir(), r.GUN, client.Options{}).Fetch(context.Background())
	if !errors.Is(err, tuf.ErrSignature) {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the unsigned timestamp was refused after %s", took)
	}
	for _, f := range srv.Requests() {
		if f != "root.json" && f != "timestamp.json" {
			t.Errorf("downloaded %s after an unsigned timestamp", f)
		}
	}
}

// TestFetchDeadline: a context deadline bounds the whole fetch, below the per-request
// timeout.
func TestFetchDeadline(t *testing.T) {
	r := withDelegations(t, 24)
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	srv.SetHook(slowDelegations(time.Minute))
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := fakeRepo(t, srv, dir, r.GUN, client.Options{}).Fetch(ctx)
	if err == nil {
		t.Fatal("fetched through a hanging server")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the deadline of 1s ended the fetch after %s", took)
	}
	sameTree(t, dir, map[string]string{})
}

// TestPinAcrossRotations: a runner that cached the repository before two root
// rotations and a fresh one decide the same for a pin on the first, the last and an
// unrelated root key.
func TestPinAcrossRotations(t *testing.T) {
	r := withDelegations(t, 1)
	first := r.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	old := t.TempDir()
	if _, err := fakeRepo(t, srv, old, r.GUN, client.Options{}).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r.RotateRoot(t, tuftest.NewCertKey(t, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(10, 0, 0)))
		next(t, r)
	}
	srv.Serve(r)
	last := r.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	unrelated := tuftest.NewCertKey(t, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(1, 0, 0)).PublicKey().ID()
	for _, tc := range []struct {
		name string
		pin  string
		want error
	}{{"first root key", first, nil}, {"last root key", last, nil}, {"unrelated key", unrelated, tuf.ErrPinMismatch}} {
		t.Run(tc.name, func(t *testing.T) {
			pin := client.Options{Pin: &tuf.Pin{CertIDs: []string{tc.pin}}}
			for _, runner := range []string{"old cache", "fresh"} {
				dir := t.TempDir()
				if runner == "old cache" {
					dir = copyTree(t, old)
				}
				before := tree(t, dir)
				_, err := fakeRepo(t, srv, dir, r.GUN, pin).Fetch(context.Background())
				if !errors.Is(err, tc.want) && (tc.want != nil || err != nil) {
					t.Fatalf("%s: got %v, want %v", runner, err, tc.want)
				}
				if err != nil {
					if !strings.Contains(err.Error(), tc.pin) || !strings.Contains(err.Error(), last) {
						t.Errorf("%s: %q names neither the expected nor the actual certificate", runner, err)
					}
					sameTree(t, dir, before)
				}
			}
		})
	}
}

// TestRootResignedAtSameVersion: a root re-signed at its version by the trusted keys
// replaces the cached bytes (notary's tufClient.Update recovers the same way).
func TestRootResignedAtSameVersion(t *testing.T) {
	r := withDelegations(t, 1)
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	dir := t.TempDir()
	repo := fakeRepo(t, srv, dir, r.GUN, client.Options{})
	if _, err := repo.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Root.Expires = r.Root.Expires.Add(time.Hour)
	r.SignRole(t, tuf.RoleRoot)
	next(t, r)
	srv.Serve(r)
	meta, err := repo.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !meta.Root.Expires.Equal(r.Root.Expires) {
		t.Fatalf("root expires %s, want the re-signed %s", meta.Root.Expires, r.Root.Expires)
	}
	if got := tree(t, dir); !strings.Contains(got["/tuf/"+r.GUN+"/metadata/root.json"], r.Root.Expires.Format("2006-01-02T15:04:05")) {
		t.Fatalf("the cached root was not replaced")
	}
}

// TestFastForwardRecovery: a timestamp a compromised key pushed to version 1,000,000 no
// longer blocks the repository once the owner rotates the timestamp key (TUF 1.0
// §5.3.11); notary never recovers.
func TestFastForwardRecovery(t *testing.T) {
	r := withDelegations(t, 1)
	srv := tuftest.NewServer(t)
	good := r.Timestamp.Version
	r.Timestamp.Version = 1_000_000
	r.UpdateTimestamp(t)
	srv.Serve(r)
	dir := t.TempDir()
	repo := fakeRepo(t, srv, dir, r.GUN, client.Options{})
	if _, err := repo.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The owner rotates the timestamp key; the server starts again from a low version.
	r.SetRoleKeys(tuf.RoleTimestamp, tuftest.NewKey(t))
	r.Root.Version++
	r.SignRole(t, tuf.RoleRoot)
	r.Timestamp.Version = good + 1
	next(t, r)
	srv.Serve(r)
	meta, err := repo.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if meta.Timestamp.Version != good+2 {
		t.Fatalf("timestamp v%d", meta.Timestamp.Version)
	}
	// The cache holds it: the next fetch passes too.
	if _, err := repo.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestLongDelegationName: a valid delegation name of 240 characters does not break fetch (the
// temporary file name must fit NAME_MAX).
func TestLongDelegationName(t *testing.T) {
	r := tuftest.New(t, fakeGUN, time.Now())
	name := "targets/" + strings.Repeat("a", 240)
	r.Delegate(tuf.RoleTargets, name, []string{""}, tuftest.NewKey(t))
	r.AddTarget(name, "1.0", []byte("x"))
	r.Publish(t)
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	meta, err := fakeRepo(t, srv, t.TempDir(), r.GUN, client.Options{}).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Targets.Children) != 1 || meta.Targets.Children[0].Signed == nil {
		t.Fatalf("delegation not fetched: %+v", meta.Invalid)
	}
}

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for name, data := range tree(t, src) {
		if err := store.WriteFileAtomic(dst+name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestRootChainWalkBounded: the version an unverified root.json states decides neither
// how many roots are downloaded nor how much memory they take. A forged chain stops at
// its first root that the trusted one did not sign.
func TestRootChainWalkBounded(t *testing.T) {
	r := withDelegations(t, 1)
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	dir := t.TempDir()
	repo := fakeRepo(t, srv, dir, r.GUN, client.Options{})
	if _, err := repo.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	forger := tuftest.NewCertKey(t, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(1, 0, 0))
	r.SetRoleKeys(tuf.RoleRoot, forger)
	for v := 2; v <= 50; v++ {
		r.Root.Version = v
		r.SignRole(t, tuf.RoleRoot)
		r.Files[fmt.Sprintf("%d.root", v)] = r.Files[tuf.RoleRoot]
	}
	next(t, r)
	srv.Serve(r)
	_, err := repo.Fetch(context.Background())
	if !errors.Is(err, tuf.ErrThreshold) {
		t.Fatalf("got %v", err)
	}
	for _, f := range srv.Requests() {
		if strings.HasSuffix(f, ".root.json") && f != "2.root.json" {
			t.Errorf("asked for %s after 2.root.json failed", f)
		}
	}
	sameTree(t, dir, before)

	// At first contact a root.json far beyond python-tuf's 256 rotations is refused
	// before any older root is asked for.
	r.Root.Version = 100_000
	r.SignRole(t, tuf.RoleRoot)
	srv.Serve(r)
	_, err = fakeRepo(t, srv, t.TempDir(), r.GUN, client.Options{}).Fetch(context.Background())
	if !errors.Is(err, tuf.ErrMalformed) || !strings.Contains(err.Error(), "more than 256 versions") {
		t.Fatalf("got %v", err)
	}
}
