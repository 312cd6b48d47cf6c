package repo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

const testGUN = "registry.example.com/team/app"

var testNow = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// teamRepo: targets holds v1 and old; targets/releases (alice) v1, v2; targets/qa
// (bob) v1, v2 with another digest, qa-1; targets/releases/ci (carol, paths "ci-") ci-1.
func teamRepo(t testing.TB) (*tuftest.Repo, *tuf.Signer) {
	r := tuftest.New(t, testGUN, testNow)
	alice, bob := tuftest.NewKey(t), tuftest.NewCertKey(t, "bob", testNow.Add(-time.Hour), testNow.AddDate(1, 0, 0))
	r.AddTarget(tuf.RoleTargets, "v1", []byte("v1"))
	r.AddTarget(tuf.RoleTargets, "old", []byte("v1"))
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, alice)
	r.Delegate(tuf.RoleTargets, "targets/qa", []string{""}, bob)
	r.Delegate("targets/releases", "targets/releases/ci", []string{"ci-"}, tuftest.NewKey(t))
	r.AddTarget("targets/releases", "v1", []byte("v1"))
	r.AddTarget("targets/releases", "v2", []byte("v2"))
	r.AddTarget("targets/qa", "v1", []byte("v1"))
	r.AddTarget("targets/qa", "v2", []byte("v2 as qa saw it"))
	r.AddTarget("targets/qa", "qa-1", []byte("qa-1"))
	r.AddTarget("targets/releases/ci", "ci-1", []byte("ci-1"))
	r.Publish(t)
	return r, bob
}

func open(t testing.TB, r *tuftest.Repo) *repo.Repo {
	t.Helper()
	rp, err := repo.Open(r.TrustDir(t), r.GUN, repo.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

func TestQueries(t *testing.T) {
	r, bob := teamRepo(t)
	rp := open(t, r)
	d := tuftest.Digest

	for tag, want := range map[string]repo.Target{
		"v1": {Name: "v1", Digest: d([]byte("v1")), Size: 2, Role: "targets/releases"},
		"v2": {Name: "v2", Digest: d([]byte("v2")), Size: 2, Role: "targets/releases"},
		// found in targets/releases/ci first, which docker refuses
		"ci-1": {},
		"qa-1": {},
		"nope": {},
	} {
		got, err := rp.Lookup(tag)
		if want.Name == "" {
			if !errors.Is(err, tuf.ErrNoTrustData) {
				t.Errorf("Lookup(%s) = %v, %v; want no-trust-data", tag, got, err)
			}
		} else if err != nil || got != want {
			t.Errorf("Lookup(%s) = %v, %v; want %v", tag, got, err, want)
		}
	}

	bobCanonical, _ := bob.PublicKey().CanonicalID()
	signers := rp.Signers("v1", d([]byte("v1")))
	if len(signers) != 1 || signers[0].Role != "targets/qa" || signers[0].Keys[0] != (repo.Key{ID: bob.PublicKey().ID(), CanonicalID: bobCanonical}) {
		t.Errorf("Signers(v1) = %+v", signers)
	}
	if s := rp.Signers("v2", d([]byte("v2"))); len(s) != 0 {
		t.Errorf("qa signed another digest of v2, Signers = %+v", s)
	}

	if got := fmt.Sprint(rp.FindDigest(d([]byte("v1")))); got != fmt.Sprint([]repo.Target{
		{Name: "old", Digest: d([]byte("v1")), Size: 2, Role: "targets"},
		{Name: "v1", Digest: d([]byte("v1")), Size: 2, Role: "targets/releases"},
	}) {
		t.Errorf("FindDigest(v1) = %s", got)
	}

	list := func(roles ...string) string {
		var s string
		for _, t := range rp.List(roles...) {
			s += t.Name + "=" + t.Role + " "
		}
		return s
	}
	for roles, want := range map[string]string{
		"":                         "ci-1=targets/releases/ci old=targets qa-1=targets/qa v1=targets v2=targets/releases ",
		"targets/qa":               "qa-1=targets/qa v1=targets/qa v2=targets/qa ",
		"targets/qa,targets":       "ci-1=targets/releases/ci old=targets qa-1=targets/qa v1=targets/qa v2=targets/qa ",
		"targets/releases,targets": "ci-1=targets/releases/ci old=targets qa-1=targets/qa v1=targets/releases v2=targets/releases ",
	} {
		var args []string
		if roles != "" {
			args = strings.Split(roles, ",")
		}
		if got := list(args...); got != want {
			t.Errorf("List(%s) = %s; want %s", roles, got, want)
		}
	}

	in := rp.Inspect("")
	if len(in.SignedTags) != 3 || in.SignedTags[1].SignedTag != "v1" || fmt.Sprint(in.SignedTags[1].Signers) != "[qa]" ||
		fmt.Sprint(in.SignedTags[0].Signers) != "[Repo Admin]" || len(in.Signers) != 2 || in.Signers[0].Name != "releases/ci" {
		t.Errorf("Inspect = %+v", in)
	}
	if !in.TrustOnFirstUse || in.Expires[tuf.RoleTimestamp] != r.Timestamp.Expires || in.Expires["targets/qa"].IsZero() {
		t.Errorf("Inspect extras = %v %v", in.TrustOnFirstUse, in.Expires)
	}
	if v := rp.Versions(); v[tuf.RoleRoot] != 1 || v["targets/qa"] != 1 || len(v) != 7 {
		t.Errorf("Versions = %v", v)
	}
}

func TestInvalidDelegationReported(t *testing.T) {
	r, _ := teamRepo(t)
	r.Targets["targets/qa"].Expires = testNow.Add(-time.Minute)
	r.Publish(t)
	rp := open(t, r)
	if len(rp.Invalid()) != 1 || !errors.Is(rp.Invalid()[0], tuf.ErrExpired) || rp.Invalid()[0].Role != "targets/qa" {
		t.Fatalf("Invalid = %v", rp.Invalid())
	}
	if s := rp.Signers("v1", tuftest.Digest([]byte("v1"))); len(s) != 0 {
		t.Errorf("an expired role still signs: %+v", s)
	}
	if in := rp.Inspect("v1"); len(in.InvalidDelegations) != 1 {
		t.Errorf("Inspect does not report the expired delegation: %+v", in)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := repo.Open(store.Dir{Root: t.TempDir()}, testGUN, repo.Options{}); !errors.Is(err, tuf.ErrNoTrustData) {
		t.Errorf("empty trust dir: %v", err)
	}
	if _, err := repo.Open(store.Dir{Root: t.TempDir()}, "../escape", repo.Options{}); !errors.Is(err, tuf.ErrNoTrustData) {
		t.Errorf("bad GUN: %v", err)
	}
	r, _ := teamRepo(t)
	dir := r.TrustDir(t)
	mdir, _ := dir.MetadataDir(testGUN)
	os.Remove(filepath.Join(mdir, "timestamp.json"))
	if err := os.Mkdir(filepath.Join(mdir, "timestamp.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Open(dir, testGUN, repo.Options{Now: testNow}); err == nil {
		t.Error("a directory as timestamp.json was accepted")
	}
}

// TestFixtureRotationChain verifies the server's root rotation (versions 2, 3, 4 of
// experiments/rotation) as cached N.root.json files, pinned to the first root's key.
func TestFixtureRotationChain(t *testing.T) {
	gun := "127.0.0.1:5000/dev/rotate"
	dump := filepath.Join(testenv.Fixtures(), "experiments/rotation/dump-after")
	dir := store.Dir{Root: t.TempDir()}
	mdir, _ := dir.MetadataDir(gun)
	copyTree(t, filepath.Join(dump, "current"), mdir)
	for _, v := range []string{"2", "3"} {
		data, err := os.ReadFile(filepath.Join(dump, "versions", v+".root.json"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mdir, v+".root.json"), data, 0o600)
	}
	first, err := os.ReadFile(filepath.Join(mdir, "2.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, _ := tuf.ParseEnvelope(first)
	var root2 tuf.Root
	if err := json.Unmarshal(env.Signed, &root2); err != nil {
		t.Fatal(err)
	}
	pin := &tuf.Pin{CertIDs: root2.Roles[tuf.RoleRoot].KeyIDs}
	rp, err := repo.Open(dir, gun, repo.Options{Now: fixtureNow, Pin: pin})
	if err != nil {
		t.Fatal(err)
	}
	if v := rp.Metadata().Root.Version; v != 4 || rp.TrustOnFirstUse() {
		t.Errorf("root version %d, tofu %v", v, rp.TrustOnFirstUse())
	}
	os.Remove(filepath.Join(mdir, "2.root.json"))
	os.Remove(filepath.Join(mdir, "3.root.json"))
	if _, err := repo.Open(dir, gun, repo.Options{Now: fixtureNow, Pin: pin}); !errors.Is(err, tuf.ErrPinMismatch) {
		t.Errorf("old pin without the chain: %v", err)
	}
}

// BenchmarkOpenLookup2000 verifies a repository of 2,000 tags signed the way
// `docker trust sign` does (sha256 and length, into targets/releases and the signer's
// own role, here targets/team) and looks one tag up.
func BenchmarkOpenLookup2000(b *testing.B) {
	r := tuftest.New(b, testGUN, testNow)
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(b))
	r.Delegate(tuf.RoleTargets, "targets/team", []string{""}, tuftest.NewKey(b))
	for i := range 2000 {
		tag := fmt.Sprintf("1.%d.%d", i/100, i%100)
		meta := tuf.NewFileMeta([]byte("manifest " + tag))
		delete(meta.Hashes, "sha512")
		r.Targets["targets/releases"].Targets[tag] = meta
		r.Targets["targets/team"].Targets[tag] = meta
	}
	r.Publish(b)
	dir := r.TrustDir(b)
	for b.Loop() {
		rp, err := repo.Open(dir, testGUN, repo.Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.Lookup("1.19.99"); err != nil {
			b.Fatal(err)
		}
	}
}
