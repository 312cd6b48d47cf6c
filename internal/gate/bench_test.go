package gate

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// benchData is where TestBenchData writes the full benchmark data set for
// scripts/bench-verify.sh; without it the test builds a small one and checks it.
var (
	benchData  = flag.String("benchdata", "", "write the verify benchmark data set (200 repositories × 2,000 tags) into this folder")
	benchRepos = flag.Int("benchrepos", 200, "repositories in the -benchdata set")
)

// benchSet is a trust dir of repos repositories, each with tags tags signed into
// targets/releases and targets/qa (as `docker trust sign` does), a stack with one
// service per repository and a policy requiring the qa team.
type benchSet struct {
	dir    store.Dir
	stack  string
	policy string
}

func writeBenchSet(tb testing.TB, root string, repos, tags int, at time.Time) benchSet {
	tb.Helper()
	set := benchSet{dir: store.Dir{Root: filepath.Join(root, "trust")}, stack: filepath.Join(root, "stack.yml"), policy: filepath.Join(root, "policy.yml")}
	releases, qa := tuftest.NewKey(tb), tuftest.NewKey(tb)
	var services strings.Builder
	services.WriteString("services:\n")
	for i := range repos {
		gun := fmt.Sprintf("registry.example.com/bench/app%03d", i)
		r := tuftest.New(tb, gun, at)
		r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, releases)
		r.Delegate(tuf.RoleTargets, "targets/qa", []string{""}, qa)
		for j := range tags {
			meta := tuf.NewFileMeta(fmt.Appendf(nil, "manifest %s %d", gun, j))
			delete(meta.Hashes, tuf.HashSHA512)
			tag := fmt.Sprintf("1.%d.%d", j/100, j%100)
			r.Targets["targets/releases"].Targets[tag] = meta
			r.Targets["targets/qa"].Targets[tag] = meta
		}
		r.Publish(tb)
		r.Write(tb, set.dir)
		fmt.Fprintf(&services, "  svc%03d:\n    image: %s:1.%d.%d\n", i, gun, (tags-1)/100, (tags-1)%100)
	}
	pol := "version: 1\ntrust: {on_unpinned: warn}\nteams:\n  qa: {roles: [targets/qa]}\nrules:\n  - match: \"registry.example.com/bench/**\"\n    require: {teams: [qa]}\n"
	for path, content := range map[string]string{set.stack: services.String(), set.policy: pol} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return set
}

func runBenchSet(tb testing.TB, set benchSet, at time.Time) []policy.Decision {
	tb.Helper()
	pol, err := policy.Load(set.policy)
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := Run(context.Background(), Options{Files: []string{set.stack}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: set.dir, Now: at})
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

// TestBenchData checks the benchmark data set verifies (every image signed by qa), and
// writes the full set with -benchdata DIR.
func TestBenchData(t *testing.T) {
	root, repos, tags, at := t.TempDir(), 3, 50, now
	if *benchData != "" {
		// The comparison runs notary, which judges expiry at the real time.
		root, repos, tags, at = *benchData, *benchRepos, 2000, time.Now()
	}
	ds := runBenchSet(t, writeBenchSet(t, root, repos, tags, at), at)
	if len(ds) != repos {
		t.Fatalf("%d decisions, want %d", len(ds), repos)
	}
	for _, d := range ds {
		if d.Result != policy.Warn || !strings.Contains(d.Reason, "signed by team qa") {
			t.Fatalf("%s: %s %q", d.Source.Service, d.Result, d.Reason)
		}
	}
}

// BenchmarkVerify200x2000 is issue 5's target: 200 repositories × 2,000 tags × 2
// delegations and a 200-service stack, the whole verify pipeline.
func BenchmarkVerify200x2000(b *testing.B) {
	set := writeBenchSet(b, b.TempDir(), 200, 2000, now)
	for b.Loop() {
		runBenchSet(b, set, now)
	}
}
