package gate

import (
	"context"
	"errors"
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

const gun = "registry.example.com/team/app"

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// world is a trust dir with one repository whose team roles disagree in instructive
// ways, and the key IDs of its signers.
type world struct {
	dir          store.Dir
	alice, bob   string // canonical key IDs: alice signs releases, bob is in qa
	carol        string // security
	rootID       string
	v10, v11, v2 string // digests
}

func newWorld(t *testing.T) world {
	t.Helper()
	r := tuftest.New(t, gun, now)
	alice, bob, carol := tuftest.NewKey(t), tuftest.NewKey(t), tuftest.NewKey(t)
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, alice, bob)
	r.Delegate(tuf.RoleTargets, "targets/qa", []string{""}, bob)
	r.Delegate(tuf.RoleTargets, "targets/security", []string{""}, carol)
	v10, v11, v2 := []byte(`{"v":"1.0"}`), []byte(`{"v":"1.1"}`), []byte(`{"v":"2"}`)
	// 1.0: released, qa and security agree. 1.1: released, qa signed another build.
	// 2.0: only qa holds it, nobody released it. 3.0: released by targets only.
	for _, role := range []string{"targets/releases", "targets/qa", "targets/security"} {
		r.AddTarget(role, "1.0", v10)
	}
	r.AddTarget("targets/releases", "1.1", v11)
	r.AddTarget("targets/qa", "1.1", v2)
	r.AddTarget("targets/qa", "2.0", v2)
	r.AddTarget(tuf.RoleTargets, "3.0", v2)
	r.Publish(t)
	dir := r.TrustDir(t)
	return world{
		dir: dir, alice: alice.PublicKey().ID(), bob: bob.PublicKey().ID(), carol: carol.PublicKey().ID(),
		rootID: r.Signers[tuf.RoleRoot][0].PublicKey().ID(),
		v10:    tuftest.Digest(v10), v11: tuftest.Digest(v11), v2: tuftest.Digest(v2),
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	w := newWorld(t)
	teams := `
teams:
  qa: {roles: [targets/qa]}
  security: {members: ["` + w.carol + `"]}
  both: {members: ["` + w.bob + `"]}
`
	tests := []struct {
		name       string
		policy     string
		image      string
		at         time.Time
		want       policy.Result
		wantReason string
	}{
		{"signed tag", "default: {require: signed}", gun + ":1.0", now, policy.Warn, "root not pinned"},
		{"signed tag, pinned root", "trust: {pins: [{match: '" + gun + "', root_keys: ['" + w.rootID + "']}]}\ndefault: {require: signed}", gun + ":1.0", now, policy.Pass, "tag 1.0 is signed"},
		{"wrong pin", "trust: {pins: [{match: '" + gun + "', root_keys: ['" + w.alice + "']}]}\ndefault: {require: signed}", gun + ":1.0", now, policy.TrustError, "pin"},
		{"unpinned denied", "trust: {on_unpinned: deny}\ndefault: {require: signed}", gun + ":1.0", now, policy.Fail, "on_unpinned"},
		{"unsigned tag", "default: {require: signed}", gun + ":9.9", now, policy.Fail, "not signed"},
		{"tag only in a team role is shadowed", "default: {require: signed}", gun + ":2.0", now, policy.Fail, "held first by targets/qa"},
		{"digest pin matches", "default: {require: signed}", gun + ":1.0@" + w.v10, now, policy.Warn, "tag 1.0 is signed"},
		{"digest pin differs", "default: {require: signed}", gun + ":1.0@" + w.v2, now, policy.Fail, "image pins"},
		{"digest only, released", "default: {require: signed}", gun + "@" + w.v11, now, policy.Warn, ""},
		{"digest only, never released", "default: {require: signed}", gun + "@sha256:" + strings.Repeat("ab", 32), now, policy.Fail, ""},
		{"teams agree", teams + "rules: [{match: '" + gun + "', require: {teams: [qa, security]}}]", gun + ":1.0", now, policy.Warn, "signed by teams qa, security"},
		{"team signed another digest", teams + "rules: [{match: '" + gun + "', require: {teams: [qa]}}]", gun + ":1.1", now, policy.Fail, ""},
		{"team missing", teams + "rules: [{match: '" + gun + "', require: {teams: [security]}}]", gun + ":1.1", now, policy.Fail, "security"},
		{"member key signed the release role", teams + "rules: [{match: '" + gun + "', require: {teams: [both]}}]", gun + ":1.1", now, policy.Warn, ""},
		{"warn mode", "rules: [{match: '" + gun + "', require: signed, mode: warn}]", gun + ":9.9", now, policy.Warn, "warn mode"},
		{"deny", "default: {require: deny}", gun + ":1.0", now, policy.Fail, "denied"},
		{"none", "default: {require: none}", gun + ":9.9", now, policy.Pass, ""},
		{"exception", "default: {require: signed}\nexceptions: [{match: '" + gun + ":*', reason: INC-1, expires: 2026-12-31}]", gun + ":9.9", now, policy.Exception, "INC-1"},
		{"expired exception", "default: {require: signed}\nexceptions: [{match: '" + gun + ":*', reason: INC-1, expires: 2026-11-01}]", gun + ":9.9", now, policy.Fail, ""},
		{"no trust data", "default: {require: signed}", "registry.example.com/team/other:1", now, policy.TrustError, "missing"},
		{"expired timestamp", "default: {require: signed}", gun + ":1.0", now.AddDate(0, 1, 0), policy.TrustError, "expired"},
		{"expired timestamp, warn", "trust: {expired: warn}\ndefault: {require: signed}", gun + ":1.0", now.AddDate(0, 1, 0), policy.Warn, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pol, err := policy.Parse(writeFile(t, dir, "policy.yml", "version: 1\n"+tt.policy), []byte("version: 1\n"+tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    image: "+tt.image+"\n")
			got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: tt.at})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d decisions, want 1", len(got))
			}
			d := got[0]
			if d.Result != tt.want || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("got %s %q (rule %s), want %s containing %q", d.Result, d.Reason, d.Rule, tt.want, tt.wantReason)
			}
			if d.Source.Service != "app" || d.Source.Line != 3 {
				t.Errorf("source = %+v", d.Source)
			}
		})
	}
}

// TestRunTamperedTeamRole: a team role whose file is not the one the snapshot lists
// stops notary's update, so docker refuses every tag of the repository: a trust error
// naming the role and why, never a pass and never "has not signed it".
func TestRunTamperedTeamRole(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(w.dir.Root, "tuf", gun, "metadata", "targets", "security.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), `"1.0"`, `"1.9"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := "version: 1\ntrust: {on_unpinned: warn}\nteams:\n  security: {members: ['" + w.carol + "']}\nrules: [{match: '" + gun + "', require: {teams: [security]}}]\n"
	pol, err := policy.Parse(writeFile(t, dir, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    image: "+gun+":1.0\n")
	got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// It is a trust error naming the role and why, not "has not signed it" (exit 1).
	if got[0].Result != policy.TrustError || !strings.Contains(got[0].Reason, "targets/security") ||
		!strings.Contains(got[0].Reason, "hash-mismatch: sha256 differs") {
		t.Errorf("got %s %q, want a trust error naming targets/security", got[0].Result, got[0].Reason)
	}
}

func TestRunInputErrors(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	text := "version: 1\n"
	pol, err := policy.Parse(writeFile(t, dir, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, dir, "bad.yml", "services:\n  app:\n    image: [not, a, string\n")
	_, err = Run(context.Background(), Options{Files: []string{bad}, Policy: pol, TrustDir: w.dir, Now: now})
	if !errors.Is(err, stack.ErrInput) || !strings.Contains(err.Error(), "bad.yml") {
		t.Errorf("err = %v, want a stack input error naming bad.yml", err)
	}
}

// TestRunBuildOnly: a service without an image is reported, not skipped.
func TestRunBuildOnly(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	text := "version: 1\n"
	pol, err := policy.Parse(writeFile(t, dir, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    build: .\n")
	got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeCompose, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Result != policy.Warn || !strings.Contains(got[0].Reason, "build only") {
		t.Errorf("got %+v", got)
	}
}
