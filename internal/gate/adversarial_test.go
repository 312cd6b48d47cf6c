package gate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestRunAdversarial feeds verify the attacks of the metadata core's tests: every one
// blocks the deploy (trust error, exit 3, or violation, exit 1) with the reason named.
func TestRunAdversarial(t *testing.T) {
	v1 := []byte(`{"v":1}`)
	build := func(t *testing.T) *tuftest.Repo {
		r := tuftest.New(t, gun, now)
		r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(t))
		r.AddTarget("targets/releases", "1.0", v1)
		r.Publish(t)
		return r
	}
	tests := []struct {
		name   string
		attack func(t *testing.T, r *tuftest.Repo)
		at     time.Time
		want   policy.Result
		reason string
	}{
		{"tampered delegation", func(t *testing.T, r *tuftest.Repo) {
			r.Files["targets/releases"] = []byte(strings.Replace(string(r.Files["targets/releases"]), `"length":7`, `"length":8`, 1))
		}, now, policy.TrustError, "hash-mismatch"},
		{"tampered targets", func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleTargets] = []byte(strings.Replace(string(r.Files[tuf.RoleTargets]), `"expires":"20`, `"expires":"21`, 1))
		}, now, policy.TrustError, "hash-mismatch"},
		{"tampered and re-recorded in the snapshot", func(t *testing.T, r *tuftest.Repo) {
			r.Files["targets/releases"] = []byte(strings.Replace(string(r.Files["targets/releases"]), `"length":7`, `"length":8`, 1))
			r.UpdateSnapshot(t)
		}, now, policy.TrustError, "signature"},
		{"signed by an unknown key", func(t *testing.T, r *tuftest.Repo) {
			r.Signers["targets/releases"] = []*tuf.Signer{tuftest.NewKey(t)}
			r.SignRole(t, "targets/releases")
			r.UpdateSnapshot(t)
		}, now, policy.TrustError, "threshold"},
		{"threshold not met", func(t *testing.T, r *tuftest.Repo) {
			r.Targets[tuf.RoleTargets].Delegations.Roles[0].Threshold = 2
			r.Publish(t)
		}, now, policy.TrustError, "threshold"},
		{"freeze: expired timestamp", func(t *testing.T, r *tuftest.Repo) {}, now.AddDate(0, 0, 15), policy.TrustError, "expired"},
		{"mix and match: an old snapshot", func(t *testing.T, r *tuftest.Repo) {
			old := r.Files[tuf.RoleSnapshot]
			r.AddTarget("targets/releases", "1.1", v1)
			r.Publish(t)
			r.Files[tuf.RoleSnapshot] = old
			r.UpdateTimestamp(t)
		}, now, policy.TrustError, "hash-mismatch"},
		{"delegation rolled back, targets unchanged", func(t *testing.T, r *tuftest.Repo) {
			old := r.Files["targets/releases"]
			r.AddTarget("targets/releases", "1.1", v1)
			r.Publish(t)
			r.Files["targets/releases"] = old
		}, now, policy.TrustError, "targets/releases.json): length"},
		{"length lie", func(t *testing.T, r *tuftest.Repo) {
			m := r.Snapshot.Meta["targets/releases"]
			m.Length++
			r.Snapshot.Meta["targets/releases"] = m
			r.SignRole(t, tuf.RoleSnapshot)
			r.UpdateTimestamp(t)
		}, now, policy.TrustError, "length"},
		{"wrong _type", func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleTimestamp, func(m map[string]any) { m["_type"] = "Snapshot" })
		}, now, policy.TrustError, "wrong-type"},
		{"wrong root certificate name", func(t *testing.T, r *tuftest.Repo) {
			r.SetRoleKeys(tuf.RoleRoot, tuftest.NewCertKey(t, "registry.example.com/other", now.Add(-time.Hour), now.AddDate(1, 0, 0)))
			r.Publish(t)
		}, now, policy.TrustError, "cert-invalid"},
		{"snapshot hides targets/releases; targets holds a stale 1.0", func(t *testing.T, r *tuftest.Repo) {
			r.AddTarget(tuf.RoleTargets, "1.0", []byte("stale"))
			r.Publish(t)
			delete(r.Snapshot.Meta, "targets/releases")
			r.SignRole(t, tuf.RoleSnapshot)
			r.UpdateTimestamp(t)
		}, now, policy.TrustError, "targets/releases (targets/releases.json): no-trust-data: delegated by targets but not listed in the snapshot"},
		{"targets/releases refused; targets holds a stale 1.0", func(t *testing.T, r *tuftest.Repo) {
			r.AddTarget(tuf.RoleTargets, "1.0", []byte("stale"))
			r.Signers["targets/releases"] = []*tuf.Signer{tuftest.NewKey(t)}
			r.Publish(t)
		}, now, policy.TrustError, "targets/releases"},
		{"delegation outside its paths", func(t *testing.T, r *tuftest.Repo) {
			r.Targets[tuf.RoleTargets].Delegations.Roles[0].Paths = []string{"2."}
			r.Publish(t)
		}, now, policy.Fail, "not signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := build(t)
			tt.attack(t, r)
			dir := r.TrustDir(t)
			tmp := t.TempDir()
			text := "version: 1\ndefault: {require: signed}\n"
			pol, err := policy.Parse(writeFile(t, tmp, "policy.yml", text), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, tmp, "stack.yml", "services:\n  app:\n    image: "+gun+":1.0\n")
			got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: dir, Now: tt.at})
			if err != nil {
				t.Fatal(err)
			}
			d := got[0]
			if d.Result != tt.want || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("got %s %q, want %s naming %q", d.Result, d.Reason, tt.want, tt.reason)
			}
			if d.Result.Kind() == nil {
				t.Errorf("exit code 0 for an attack")
			}
		})
	}
}

// TestRunMissingDelegationFile: a delegation the snapshot lists but the trust dir
// lacks (an incomplete fetch) is a trust error, not "unsigned".
func TestRunMissingDelegationFile(t *testing.T) {
	r := tuftest.New(t, gun, now)
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(t))
	r.AddTarget("targets/releases", "1.0", []byte("x"))
	r.Publish(t)
	dir := r.TrustDir(t)
	mdir, _ := dir.MetadataDir(gun)
	if err := os.Remove(filepath.Join(mdir, "targets", "releases.json")); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	text := "version: 1\n"
	pol, err := policy.Parse(writeFile(t, tmp, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, tmp, "stack.yml", "services:\n  app:\n    image: "+gun+":1.0\n")
	got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Result != policy.TrustError || !strings.Contains(got[0].Reason, "trust data missing") || !strings.Contains(got[0].Reason, "releases.json") {
		t.Errorf("got %s %q", got[0].Result, got[0].Reason)
	}
}

// TestRunDelegateRemoved: after a legitimate delegate remove the parent no longer
// delegates to the role; the snapshot keeps its entry, as notary-server's does, and tags
// resolve from targets.
func TestRunDelegateRemoved(t *testing.T) {
	r := tuftest.New(t, gun, now)
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(t))
	r.AddTarget("targets/releases", "1.0", []byte("x"))
	r.AddTarget(tuf.RoleTargets, "1.0", []byte("y"))
	r.Publish(t)
	r.Targets[tuf.RoleTargets].Delegations.Roles = nil
	r.Targets[tuf.RoleTargets].Version++
	r.SignRole(t, tuf.RoleTargets)
	r.Snapshot.Meta[tuf.RoleTargets] = tuf.NewFileMeta(r.Files[tuf.RoleTargets])
	r.SignRole(t, tuf.RoleSnapshot)
	r.UpdateTimestamp(t)
	tmp := t.TempDir()
	text := "version: 1\ntrust: {on_unpinned: warn}\ndefault: {require: signed}\n"
	pol, err := policy.Parse(writeFile(t, tmp, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, tmp, "stack.yml", "services:\n  app:\n    image: "+gun+":1.0\n")
	got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: r.TrustDir(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0]; d.Result.Kind() != nil || !strings.Contains(d.Reason, "in targets") {
		t.Errorf("got %s %q, want the tag of targets", d.Result, d.Reason)
	}
}
