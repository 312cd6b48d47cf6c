package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "policy.yml:1: empty policy file"},
		{"no version", "rules: []\n", "policy.yml:1: version is required"},
		{"bad version", "version: 2\n", `policy.yml:1: unsupported policy version "2", want 1`},
		{"string version", "version: \"1\"\n", `policy.yml:1: unsupported policy version "1", want 1`},
		{"unknown top-level key", "version: 1\n\nrulez: []\n", `policy.yml:3: unknown key "rulez" in the policy`},
		{"duplicate key", "version: 1\nversion: 1\n", `policy.yml:2: duplicate key "version"`},
		{"malformed YAML", "version: 1\nrules:\n  - match: a\n   require: signed\n", "policy.yml:4: "},
		{"unknown rule key", "version: 1\nrules:\n  - match: nginx\n    require: signed\n    modes: warn\n", `policy.yml:5: unknown key "modes" in rules[0]`},
		{"bad glob", "version: 1\nrules:\n  - match: \"*.example.com/**\"\n    require: signed\n", "policy.yml:3: rules[0].match: pattern \"*.example.com/**\": the registry host must be literal"},
		{"bad glob characters", "version: 1\nrules:\n  - require: signed\n    match: \"r.io/[a]\"\n", "policy.yml:4: rules[0].match: "},
		{"missing match", "version: 1\nrules:\n  - require: signed\n", "policy.yml:3: rules[0]: match is required"},
		{"bad require", "version: 1\nrules:\n  - match: nginx\n    require: maybe\n", `policy.yml:4: rules[0].require must be signed or deny or none, not "maybe"`},
		{"unknown team", "version: 1\nrules:\n  - match: nginx\n    require:\n      teams: [qa]\n", `policy.yml:5: rules[0].require.teams: unknown team "qa"`},
		{"teams in default", "version: 1\nteams: {qa: {roles: [targets/qa]}}\ndefault:\n  require: {teams: [qa]}\n", "policy.yml:4: default.require must be signed, deny or none"},
		{"bad mode", "version: 1\ndefault: {require: signed, mode: audit}\n", `policy.yml:2: default.mode must be enforce or warn, not "audit"`},
		{"bad on_unpinned", "version: 1\ntrust:\n  on_unpinned: allow\n", `policy.yml:3: trust.on_unpinned must be deny or warn`},
		{"bad expired", "version: 1\ntrust:\n  expired: yes\n", `policy.yml:3: trust.expired must be deny or warn`},
		{"unknown trust key", "version: 1\ntrust:\n  pinz: []\n", `policy.yml:3: unknown key "pinz" in trust`},
		{"pin without keys", "version: 1\ntrust:\n  pins:\n    - match: r.io/**\n", "policy.yml:4: trust.pins[0]: root_keys or ca is required"},
		{"pin with a tag", "version: 1\ntrust:\n  pins:\n    - match: r.io/app:1\n      root_keys: [" + strings.Repeat("a", 64) + "]\n", "policy.yml:4: trust.pins[0].match: a pin covers repositories"},
		{"bad root key", "version: 1\ntrust:\n  pins:\n    - match: r.io/**\n      root_keys:\n        - abc\n", `policy.yml:6: trust.pins[0].root_keys[0]: "abc" is not a key ID`},
		{"unreadable CA", "version: 1\ntrust:\n  pins:\n    - match: r.io/**\n      ca: nope.pem\n", "policy.yml:5: trust.pins[0].ca: open "},
		{"CA without certificates", "version: 1\ntrust:\n  pins:\n    - match: r.io/**\n      ca: policy.yml\n", "policy.yml:5: trust.pins[0].ca: no PEM certificate in policy.yml"},
		{"unreadable cert", "version: 1\nteams:\n  qa:\n    members:\n      - certs/alice.pem\n", "policy.yml:5: teams.qa.members[0]: open "},
		{"member file without a key", "version: 1\nteams:\n  qa:\n    members: [policy.yml]\n", "policy.yml:4: teams.qa.members[0]: policy.yml: no PEM certificate or public key"},
		{"empty team", "version: 1\nteams:\n  qa: {}\n", `policy.yml:3: team "qa" has neither roles, members nor keys`},
		{"bad role", "version: 1\nteams:\n  qa:\n    roles: [releases]\n", `policy.yml:4: teams.qa.roles[0]: "releases" is not a targets role`},
		{"unknown team key", "version: 1\nteams:\n  qa:\n    roles: [targets/qa]\n    member: [x]\n", `policy.yml:5: unknown key "member" in teams.qa`},
		{"exception without expires", "version: 1\nexceptions:\n  - match: r.io/x:*\n    reason: why\n", "policy.yml:3: exceptions[0]: expires is required"},
		{"exception without reason", "version: 1\nexceptions:\n  - match: r.io/x:*\n    expires: 2026-01-01\n", "policy.yml:3: exceptions[0]: reason is required"},
		{"bad expiry date", "version: 1\nexceptions:\n  - match: r.io/x:*\n    reason: why\n    expires: 31.12.2026\n", `policy.yml:5: exceptions[0].expires: "31.12.2026" is not a date`},
		{"rules not a list", "version: 1\nrules: {match: x}\n", "policy.yml:2: rules must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "policy.yml")
			if err := os.WriteFile(file, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("%v is not ErrInvalidPolicy", err)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestParseMembers(t *testing.T) {
	p, m := testPolicy(t, "version: 1\nteams:\n  qa:\n    members: [alice.pem, "+strings.Repeat("AB", 32)+"]\n")
	ids := p.teams["qa"].keyIDs
	for _, id := range []string{m["alice"].certID, m["alice"].canonicalID, strings.Repeat("ab", 32)} {
		if !ids[id] {
			t.Errorf("team qa lacks key ID %s", id)
		}
	}
	if m["alice"].certID == m["alice"].canonicalID {
		t.Error("certificate and canonical IDs are equal")
	}
}

func TestParseWarnsRespelledHosts(t *testing.T) {
	text := "version: 1\nrules:\n  - match: registry.example.com/**\n    require: signed\n  - match: Registry.Example.com:443/legacy/*\n    require: deny\nexceptions:\n  - {match: 'registry-1.docker.io/nginx:*', reason: x, expires: 2026-01-01}\n"
	p, err := Parse("policy.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`policy.yml:5: rules[1].match: registry host "Registry.Example.com:443" is not canonical, write "registry.example.com" (the pattern matches every spelling of the host)`,
		`policy.yml:8: exceptions[0].match: registry host "registry-1.docker.io" is not canonical, write "docker.io" (the pattern matches every spelling of the host)`,
	}
	if got := p.Warnings(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(mainPolicy))
	f.Add([]byte("version: 1\ndefault: {require: none}\n"))
	f.Add([]byte("version: 1\nrules:\n  - match: &m nginx\n    require: signed\nexceptions:\n  - {match: *m, reason: r, expires: 2026-01-01}\n"))
	f.Add([]byte("version: 1\ntrust:\n  pins: [{match: 'Registry.Example.com:0443/**', root_keys: ['" + strings.Repeat("ab", 32) + "']}]\nrules:\n  - {match: registry-1.docker.io/nginx, require: deny}\n"))
	f.Add([]byte("version: 1\ntrust:\n  sources: [notary, cosign]\n  notary_until: 2026-12-08\n  tag_binding: digest\nteams:\n  qa: {keys: [qa.pem], roles: [targets/qa]}\n"))
	f.Add([]byte("version: 1\ntrust: {sources: [cosign], tag_binding: required}\nrules:\n  - {match: r.io/**, require: signed}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "policy.yml")
		p, err := Parse(file, data)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) || !strings.HasPrefix(err.Error(), file+":") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: not a one-line policy error naming the file", err)
			}
			return
		}
		for _, w := range p.Warnings() {
			if !strings.HasPrefix(w, file+":") || strings.Contains(w, "\n") {
				t.Fatalf("warning %q: not one line naming the file", w)
			}
		}
		for _, f := range []Facts{
			{Image: Image{Repo: "docker.io/library/nginx", Tag: "latest"}},
			{Image: Image{Repo: "docker.io/library/nginx", Tag: "latest"}, Trust: &TrustProblem{Kind: TrustMissing, Reason: "none"},
				Cosign: CosignFacts{TagDigest: "sha256:" + strings.Repeat("a", 64), Signatures: []CosignSignature{{Digest: "sha256:" + strings.Repeat("a", 64), KeyIDs: []string{"x"}, Binding: BindsOther}}}},
		} {
			d := p.Evaluate(f, now)
			if d.Rule == "" || d.Reason == "" {
				t.Fatalf("decision without rule or reason: %+v", d)
			}
		}
	})
}
