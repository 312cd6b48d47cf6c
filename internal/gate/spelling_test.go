package gate

import (
	"context"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestRunHostSpellings: a registry host written in another spelling
// (Registry.Example.com, :443, registry-1.docker.io) meets the rules, pins and
// exceptions of its canonical spelling, and its trust data is still the data docker
// would use (the GUN as written): an attacker's trust data published under a respelled
// GUN, with the attacker's own root and keys, cannot stand in for the real one.
func TestRunHostSpellings(t *testing.T) {
	w := newWorld(t)
	// The attacker's look-alike repositories, in the same trust dir, each with its own
	// root and signing 1.0 with the attacker's keys.
	for _, gun := range []string{"Registry.Example.com/team/app", "registry.example.com:443/team/app", "registry-1.docker.io/library/nginx"} {
		r := tuftest.New(t, gun, now)
		r.AddTarget(tuf.RoleTargets, "1.0", []byte(`{"evil":1}`))
		r.Publish(t)
		r.Write(t, w.dir)
	}
	pin := "trust: {pins: [{match: 'registry.example.com/**', root_keys: ['" + w.rootID + "']}]}\n"
	teams := "teams:\n  security: {members: ['" + w.carol + "']}\n"
	tests := []struct {
		name   string
		policy string
		image  string
		want   policy.Result
		reason string
	}{
		{"pin, host in capitals", pin + "default: {require: signed}", "Registry.Example.com/team/app:1.0", policy.TrustError, "pin"},
		{"pin, port 443", pin + "default: {require: signed}", "registry.example.com:443/team/app:1.0", policy.TrustError, "pin"},
		{"deny rule, host in capitals", "rules: [{match: 'registry.example.com/team/*', require: deny}]\ndefault: {require: none}", "Registry.Example.com/team/app:1.0", policy.Fail, "denied"},
		{"deny rule, port 443", "rules: [{match: 'registry.example.com/**', require: deny}]\ndefault: {require: none}", "registry.example.com:443/team/app:1.0", policy.Fail, "denied"},
		{"deny rule, registry-1.docker.io", "rules: [{match: 'nginx', require: deny}]\ndefault: {require: none}", "registry-1.docker.io/library/nginx:1.0", policy.Fail, "denied"},
		{"team rule, port 443", teams + "rules: [{match: 'registry.example.com/team/app', require: {teams: [security]}}]\ndefault: {require: none}", "registry.example.com:443/team/app:1.0", policy.Fail, "security"},
		{"team rule, host in capitals", teams + "rules: [{match: 'registry.example.com/team/app', require: {teams: [security]}}]\ndefault: {require: none}", "Registry.Example.com/team/app:1.0", policy.Fail, "security"},
		{"exception, host in capitals", "default: {require: deny}\nexceptions: [{match: 'registry.example.com/team/app:*', reason: INC-1, expires: 2026-12-31}]", "REGISTRY.EXAMPLE.COM/team/app:1.0", policy.Exception, "INC-1"},
		{"the canonical spelling still passes", pin + "default: {require: signed}", gun + ":1.0", policy.Pass, "signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := "version: 1\n" + tt.policy
			pol, err := policy.Parse(writeFile(t, dir, "policy.yml", text), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    image: "+tt.image+"\n")
			got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if d := got[0]; d.Result != tt.want || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("got %s %q (rule %s), want %s containing %q", d.Result, d.Reason, d.Rule, tt.want, tt.reason)
			}
		})
	}
}

// TestRunRespelledGUNHasItsOwnTrustData: the trust data of a respelled reference is
// looked up under the GUN docker uses for it, never borrowed from the canonical
// spelling, whose signatures docker would not consult.
func TestRunRespelledGUNHasItsOwnTrustData(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	text := "version: 1\ndefault: {require: signed}\n"
	pol, err := policy.Parse(writeFile(t, dir, "policy.yml", text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    image: registry.example.com:443/team/app:1.0\n")
	got, err := Run(context.Background(), Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0]; d.Result != policy.TrustError || !strings.Contains(d.Reason, "missing") {
		t.Errorf("got %s %q, want a trust error: no trust data under registry.example.com:443/team/app", d.Result, d.Reason)
	}
}
