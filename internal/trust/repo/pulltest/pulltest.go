// Package pulltest runs docker-lookup, a test oracle scripts/reference.sh builds from
// notary v0.7.0's client library, which resolves tags exactly as docker 28 does with
// DOCKER_CONTENT_TRUST=1, and generates the repositories where that lookup is subtle.
package pulltest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// Pull is what docker 28 with DOCKER_CONTENT_TRUST=1 does with one tag, as the
// docker-lookup oracle (notary v0.7.0's client) prints it.
type Pull struct {
	Tag      string `json:"tag"`
	Role     string `json:"role"`
	Digest   string `json:"digest"`
	Accepted bool   `json:"accepted"`
	Error    string `json:"error"`
}

// Run runs the docker-lookup oracle (scripts/reference.sh) on the repository in dir.
func Run(t testing.TB, dir store.Dir, gun string, tags []string) map[string]Pull {
	t.Helper()
	mdir, err := dir.MetadataDir(gun)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testenv.RefBin(t, "docker-lookup"), append([]string{mdir, gun}, tags...)...).Output()
	if err != nil {
		t.Fatalf("docker-lookup: %v", err)
	}
	res := make(map[string]Pull)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p Pull
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		res[p.Tag] = p
	}
	return res
}

// Case is a generated repository and the tags to resolve in it.
type Case struct {
	Name string
	// Build adds roles and targets to a new repository, before it is published.
	Build func(t testing.TB, r *tuftest.Repo)
	// Damage, when set, alters the published files.
	Damage func(t testing.TB, r *tuftest.Repo)
	Tags   []string
	// Stricter are the tags docker pulls and trustctl deliberately refuses as a trust
	// error, with the reason: a refused role that could hold a newer record comes first
	// in docker's lookup (docs/policy.md, "Where trustctl is stricter than docker").
	// Only the gate applies the expiry of targets/releases; Lookup applies the rest.
	Stricter map[string]error
}

// Cases are the shapes where docker's lookup differs from "any role holds it".
var Cases = []Case{
	{Name: "nested releases children", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{""}, tuftest.NewKey(t))
		r.Delegate("targets/releases/ci", "targets/releases/ci/nightly", []string{""}, tuftest.NewKey(t))
		r.Delegate(tuf.RoleTargets, "targets/team", []string{""}, tuftest.NewKey(t))
		r.AddTarget(repo.ReleasesRole, "rel", []byte("rel"))
		r.AddTarget("targets/releases/ci", "child", []byte("child"))
		r.AddTarget("targets/releases/ci/nightly", "grandchild", []byte("grandchild"))
		r.AddTarget("targets/releases/ci", "both", []byte("both in ci"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.AddTarget(repo.ReleasesRole, "relteam", []byte("relteam"))
		r.AddTarget("targets/team", "relteam", []byte("relteam as the team saw it"))
		r.AddTarget("targets/team", "teamonly", []byte("teamonly"))
		r.AddTarget(tuf.RoleTargets, "top", []byte("top"))
		r.AddTarget("targets/team", "top", []byte("top as the team saw it"))
	}, Tags: []string{"rel", "child", "grandchild", "both", "relteam", "teamonly", "top", "missing"}},
	{Name: "path-restricted children", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{"v"}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{"v-ci", "x"}, tuftest.NewKey(t))
		r.AddTarget(repo.ReleasesRole, "v1", []byte("v1"))
		r.AddTarget(repo.ReleasesRole, "w1", []byte("w1 outside the paths"))
		r.AddTarget(tuf.RoleTargets, "w1", []byte("w1"))
		r.AddTarget("targets/releases/ci", "v-ci-1", []byte("v-ci-1"))
		r.AddTarget("targets/releases/ci", "x1", []byte("x1 outside the parent's paths"))
		r.AddTarget(tuf.RoleTargets, "x1", []byte("x1"))
		r.AddTarget("targets/releases/ci", "v2", []byte("v2 outside the child's paths"))
		r.AddTarget(tuf.RoleTargets, "v2", []byte("v2"))
	}, Tags: []string{"v1", "w1", "v-ci-1", "x1", "v2"}},
	{Name: "expired releases child", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{""}, tuftest.NewKey(t))
		r.AddTarget("targets/releases/ci", "both", []byte("both in ci"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.AddTarget(repo.ReleasesRole, "rel", []byte("rel"))
		r.Targets["targets/releases/ci"].Expires = r.Now.Add(-time.Hour)
	}, Tags: []string{"both", "rel"}},
	{Name: "expired releases", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.AddTarget(repo.ReleasesRole, "both", []byte("both in releases"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.AddTarget(repo.ReleasesRole, "rel", []byte("rel"))
		r.Targets[repo.ReleasesRole].Expires = r.Now.Add(-time.Hour)
	}, Tags: []string{"both", "rel"}, Stricter: map[string]error{"both": tuf.ErrExpired}},
	{Name: "releases child signed by a stranger", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{""}, tuftest.NewKey(t))
		r.AddTarget("targets/releases/ci", "both", []byte("both in ci"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.Signers["targets/releases/ci"] = []*tuf.Signer{tuftest.NewKey(t)}
	}, Tags: []string{"both"}},
	{Name: "releases delegated but never published", Build: func(t testing.TB, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.AddTarget(tuf.RoleTargets, "top", []byte("top"))
	}, Damage: func(t testing.TB, r *tuftest.Repo) {
		delete(r.Targets, repo.ReleasesRole)
		delete(r.Files, repo.ReleasesRole)
		r.UpdateSnapshot(t)
	}, Tags: []string{"top"}, Stricter: map[string]error{"top": tuf.ErrNoTrustData}},
	{Name: "team role delegating outside its subtree", Build: teamRole, Damage: func(t testing.TB, r *tuftest.Repo) {
		r.Mutate(t, "targets/team", func(signed map[string]any) {
			d := signed["delegations"].(map[string]any)
			d["roles"] = append(d["roles"].([]any), map[string]any{"name": "targets/elsewhere", "keyids": []any{}, "threshold": 1, "paths": []any{""}})
		})
		r.UpdateSnapshot(t)
	}, Tags: []string{"top", "teamonly"}},
	{Name: "team role file not the one the snapshot lists", Build: teamRole, Damage: func(t testing.TB, r *tuftest.Repo) {
		r.Files["targets/team"] = append(r.Files["targets/team"], ' ')
	}, Tags: []string{"top", "teamonly"}},
	{Name: "team role file missing", Build: teamRole, Damage: func(t testing.TB, r *tuftest.Repo) {
		delete(r.Files, "targets/team")
	}, Tags: []string{"top", "teamonly"}},
}

func teamRole(t testing.TB, r *tuftest.Repo) {
	r.Delegate(tuf.RoleTargets, "targets/team", []string{""}, tuftest.NewKey(t))
	r.AddTarget(tuf.RoleTargets, "top", []byte("top"))
	r.AddTarget("targets/team", "teamonly", []byte("teamonly"))
}

// New generates the repository of c for gun at now (the oracle judges expiry at the
// current time) and writes it into a new trust dir.
func (c Case) New(t testing.TB, gun string, now time.Time) (*tuftest.Repo, store.Dir) {
	t.Helper()
	r := tuftest.New(t, gun, now)
	c.Build(t, r)
	r.Publish(t)
	if c.Damage != nil {
		c.Damage(t, r)
	}
	return r, r.TrustDir(t)
}
