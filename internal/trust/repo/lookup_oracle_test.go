package repo_test

import (
	"encoding/json"
	"errors"
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

// DockerPull is what docker 28 with DOCKER_CONTENT_TRUST=1 does with one tag, as the
// docker-lookup oracle (notary v0.7.0's client) prints it.
type DockerPull struct {
	Tag      string `json:"tag"`
	Role     string `json:"role"`
	Digest   string `json:"digest"`
	Accepted bool   `json:"accepted"`
	Error    string `json:"error"`
}

// dockerPull runs the oracle on the repository in dir.
func dockerPull(t *testing.T, dir store.Dir, gun string, tags []string) map[string]DockerPull {
	t.Helper()
	mdir, err := dir.MetadataDir(gun)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testenv.RefBin(t, "docker-lookup"), append([]string{mdir, gun}, tags...)...).Output()
	if err != nil {
		t.Fatalf("docker-lookup: %v", err)
	}
	res := make(map[string]DockerPull)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p DockerPull
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		res[p.Tag] = p
	}
	return res
}

// LookupCase is a generated repository and the tags to resolve in it.
type LookupCase struct {
	name  string
	build func(t *testing.T, r *tuftest.Repo)
	tags  []string
}

// lookupCases are the shapes where docker's lookup differs from "any role holds it".
var lookupCases = []LookupCase{
	{"nested releases children", func(t *testing.T, r *tuftest.Repo) {
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
	}, []string{"rel", "child", "grandchild", "both", "relteam", "teamonly", "top", "missing"}},
	{"path-restricted children", func(t *testing.T, r *tuftest.Repo) {
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
	}, []string{"v1", "w1", "v-ci-1", "x1", "v2"}},
	{"expired releases child", func(t *testing.T, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{""}, tuftest.NewKey(t))
		r.AddTarget("targets/releases/ci", "both", []byte("both in ci"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.AddTarget(repo.ReleasesRole, "rel", []byte("rel"))
		r.Targets["targets/releases/ci"].Expires = r.Now.Add(-time.Hour)
	}, []string{"both", "rel"}},
	{"expired releases", func(t *testing.T, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.AddTarget(repo.ReleasesRole, "both", []byte("both in releases"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.AddTarget(repo.ReleasesRole, "rel", []byte("rel"))
		r.Targets[repo.ReleasesRole].Expires = r.Now.Add(-time.Hour)
	}, []string{"both", "rel"}},
	{"releases child signed by a stranger", func(t *testing.T, r *tuftest.Repo) {
		r.Delegate(tuf.RoleTargets, repo.ReleasesRole, []string{""}, tuftest.NewKey(t))
		r.Delegate(repo.ReleasesRole, "targets/releases/ci", []string{""}, tuftest.NewKey(t))
		r.AddTarget("targets/releases/ci", "both", []byte("both in ci"))
		r.AddTarget(tuf.RoleTargets, "both", []byte("both in targets"))
		r.Signers["targets/releases/ci"] = []*tuf.Signer{tuftest.NewKey(t)}
	}, []string{"both"}},
}

// refusedAfterPublish are cases whose damage is done to the published files.
var refusedAfterPublish = []struct {
	name   string
	damage func(t *testing.T, r *tuftest.Repo)
	tags   []string
}{
	{"team role file not the one the snapshot lists", func(t *testing.T, r *tuftest.Repo) {
		r.Files["targets/team"] = append(r.Files["targets/team"], ' ')
	}, []string{"top", "teamonly"}},
	{"team role file missing", func(t *testing.T, r *tuftest.Repo) {
		delete(r.Files, "targets/team")
	}, []string{"top", "teamonly"}},
}

// TestLookupEqualsDockerPull compares Lookup with docker's lookup, run by notary's own
// client on the same files, tag by tag.
func TestLookupEqualsDockerPull(t *testing.T) {
	now := time.Now() // the oracle checks expiry at the current time
	check := func(t *testing.T, r *tuftest.Repo, tags []string) {
		dir := r.TrustDir(t)
		want := dockerPull(t, dir, r.GUN, tags)
		rp, err := repo.Open(dir, r.GUN, repo.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tags {
			w := want[tag]
			got, err := rp.Lookup(tag)
			var shadowed *repo.ShadowedError
			switch {
			case w.Accepted:
				if err != nil || got.Digest != w.Digest || got.Role != w.Role {
					t.Errorf("%s: Lookup = %+v, %v; docker pulls %s from %s", tag, got, err, w.Digest, w.Role)
				}
			case w.Role != "":
				if !errors.As(err, &shadowed) || shadowed.Role != w.Role || shadowed.Digest != w.Digest {
					t.Errorf("%s: Lookup = %+v, %v; docker refuses it: %s holds it first", tag, got, err, w.Role)
				}
			default:
				if err == nil || errors.As(err, &shadowed) {
					t.Errorf("%s: Lookup = %+v, %v; docker: %s", tag, got, err, w.Error)
				}
			}
		}
	}
	for _, c := range lookupCases {
		t.Run(c.name, func(t *testing.T) {
			r := tuftest.New(t, "127.0.0.1:5000/oracle/app", now)
			c.build(t, r)
			r.Publish(t)
			check(t, r, c.tags)
		})
	}
	for _, c := range refusedAfterPublish {
		t.Run(c.name, func(t *testing.T) {
			r := tuftest.New(t, "127.0.0.1:5000/oracle/app", now)
			r.Delegate(tuf.RoleTargets, "targets/team", []string{""}, tuftest.NewKey(t))
			r.AddTarget(tuf.RoleTargets, "top", []byte("top"))
			r.AddTarget("targets/team", "teamonly", []byte("teamonly"))
			r.Publish(t)
			c.damage(t, r)
			check(t, r, c.tags)
		})
	}
}
