package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
	rootKey = strings.Repeat("0f", 32)
	bobKey  = strings.Repeat("b0", 32)
	now     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

// member is a certificate written to a file, with both of its key IDs.
type member struct {
	file, certID, canonicalID string
}

func writeCert(t testing.TB, dir, name string) member {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	pub, err := tuf.PublicKeyFromCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := pub.CanonicalID()
	if err != nil {
		t.Fatal(err)
	}
	return member{file: file, certID: pub.ID(), canonicalID: canonical}
}

// testPolicy writes a policy file and the certificates it names, and parses it.
func testPolicy(t testing.TB, text string) (*Policy, map[string]member) {
	t.Helper()
	dir := t.TempDir()
	members := map[string]member{}
	for _, name := range []string{"alice", "carol", "dave", "ca"} {
		members[name] = writeCert(t, filepath.Join(dir), name)
	}
	file := filepath.Join(dir, "policy.yml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return p, members
}

const mainPolicy = `version: 1
trust:
  pins:
    - match: "registry.example.com/payments/**"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
    - match: "registry.example.com/**"
      ca: ca.pem
    - match: "docker.io/library/*"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
  on_unpinned: deny
  expired: warn
teams:
  qa:
    roles: [targets/qa]
    members: [alice.pem, dave.pem]
  security:
    members: [carol.pem, "` + "B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0" + `", dave.pem]
rules:
  - match: "registry.example.com/payments/**"
    require: {teams: [qa, security]}
  - match: "nginx"
    require: signed
    mode: warn
  - match: "registry.example.com/**"
    require: signed
  - match: "registry.example.com/legacy/*"
    require: deny
  - match: "registry.example.com/open/*"
    require: none
  - match: "registry.example.com/*/strict"
    require: signed
default: {require: deny}
exceptions:
  - match: "registry.example.com/tools/debug:*"
    reason: "INC-4711 hotfix"
    expires: 2026-12-31
  - match: "registry.example.com/tools/old:*"
    reason: "INC-1 old"
    expires: 2026-05-31
`

func img(t testing.TB, ref string) Image {
	t.Helper()
	i, err := ParseImage(ref)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func release(tag, digest string) *Target {
	return &Target{Tag: tag, Digest: digest, Role: "targets/releases"}
}

func TestEvaluate(t *testing.T) {
	p, m := testPolicy(t, mainPolicy)
	qa := func(digest string) RoleSignature {
		return RoleSignature{Role: "targets/qa", Tag: "1", Digest: digest, Verified: true, KeyIDs: []string{"ffff"}}
	}
	signedBy := func(role, digest string, ids ...string) RoleSignature {
		return RoleSignature{Role: role, Tag: "1", Digest: digest, Verified: true, KeyIDs: ids}
	}
	tests := []struct {
		name     string
		facts    Facts
		result   Result
		rule     string
		reason   string // substring
		signedBy []string
	}{
		{
			name:     "signed tag",
			facts:    Facts{Image: img(t, "registry.example.com/app:1.4"), Release: release("1.4", digestA)},
			result:   Pass,
			rule:     "rules[2] registry.example.com/**",
			reason:   "tag 1.4 is signed with sha256:aaaaaaaaaaaa… in targets/releases",
			signedBy: []string{"targets/releases"},
		},
		{
			name:   "tag not signed",
			facts:  Facts{Image: img(t, "registry.example.com/app:1.4")},
			result: Fail,
			rule:   "rules[2] registry.example.com/**",
			reason: "tag 1.4 is not signed in targets/releases or targets",
		},
		{
			name:   "tag@digest signed with that digest",
			facts:  Facts{Image: img(t, "registry.example.com/app:1.4@"+digestA), Release: release("1.4", digestA)},
			result: Pass,
		},
		{
			name:   "tag@digest signed with another digest",
			facts:  Facts{Image: img(t, "registry.example.com/app:1.4@"+digestB), Release: release("1.4", digestA)},
			result: Fail,
			reason: "tag 1.4 is signed with sha256:aaaaaaaaaaaa…, image pins sha256:bbbbbbbbbbbb…",
		},
		{
			name:   "tag@digest, tag not signed: the digest alone is not enough",
			facts:  Facts{Image: img(t, "registry.example.com/app:1.4@"+digestB)},
			result: Fail,
			reason: "tag 1.4 is not signed",
		},
		{
			name: "@digest released under a tag",
			facts: Facts{
				Image:        img(t, "registry.example.com/app@"+digestB),
				ReleasedTags: []Target{{Tag: "1.5", Digest: digestB, Role: "targets"}},
			},
			result:   Pass,
			reason:   "digest sha256:bbbbbbbbbbbb… is signed as tag 1.5",
			signedBy: []string{"targets"},
		},
		{
			name:   "@digest released under no tag",
			facts:  Facts{Image: img(t, "registry.example.com/app@"+digestB), ReleasedTags: []Target{{Tag: "1.5", Digest: digestA}}},
			result: Fail,
			reason: "digest sha256:bbbbbbbbbbbb… is not the signed digest of any tag",
		},
		{
			name: "teams agree",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestA),
				Roles:   []RoleSignature{qa(digestA), signedBy("targets/sec", digestA, m["carol"].certID)},
			},
			result:   Pass,
			rule:     "rules[0] registry.example.com/payments/**",
			reason:   "signed by teams qa, security",
			signedBy: []string{"qa", "security"},
		},
		{
			name: "team member by canonical ID and literal key ID",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestA),
				Roles:   []RoleSignature{signedBy("targets/alice", digestA, m["alice"].canonicalID), signedBy("targets/bob", digestA, bobKey)},
			},
			result:   Pass,
			signedBy: []string{"qa", "security"},
		},
		{
			name: "teams disagree",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestA),
				Roles:   []RoleSignature{qa(digestA), signedBy("targets/sec", digestB, m["carol"].certID)},
			},
			result: Fail,
			reason: "tag 1 is signed with sha256:aaaaaaaaaaaa… in targets/releases: team security signed sha256:bbbbbbbbbbbb… instead",
		},
		{
			name: "team signed but release differs",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestB),
				Roles:   []RoleSignature{qa(digestA), signedBy("targets/sec", digestB, m["carol"].certID)},
			},
			result: Fail,
			reason: "team qa signed sha256:aaaaaaaaaaaa… instead",
		},
		{
			name: "one person in both teams",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestA),
				Roles:   []RoleSignature{signedBy("targets/dave", digestA, m["dave"].certID, m["dave"].canonicalID)},
			},
			result:   Pass,
			signedBy: []string{"qa", "security"},
		},
		{
			name: "role that failed verification counts for no team: a trust error naming it",
			facts: Facts{
				Image:   img(t, "registry.example.com/payments/api:1"),
				Release: release("1", digestA),
				Roles: []RoleSignature{
					{Role: "targets/qa", Tag: "1", Digest: digestA, Verified: false, Problem: "expired"},
					signedBy("targets/sec", digestA, m["carol"].certID),
				},
			},
			result: TrustError,
			reason: "team qa: role targets/qa was refused: expired",
		},
		{
			name: "teams need a release",
			facts: Facts{
				Image: img(t, "registry.example.com/payments/api:1"),
				Roles: []RoleSignature{qa(digestA), signedBy("targets/sec", digestA, m["carol"].certID)},
			},
			result: Fail,
			reason: "tag 1 is not signed",
		},
		{
			name:   "warn mode",
			facts:  Facts{Image: img(t, "nginx")},
			result: Warn,
			rule:   "rules[1] nginx",
			reason: "tag latest is not signed in targets/releases or targets (rule in warn mode)",
		},
		{
			name:   "warn mode covers trust errors",
			facts:  Facts{Image: img(t, "nginx:1.27"), Trust: &TrustProblem{Kind: TrustMissing, Reason: "no trust data"}},
			result: Warn,
			reason: "trust data missing: no trust data (rule in warn mode)",
		},
		{
			name:   "default deny",
			facts:  Facts{Image: img(t, "quay.io/org/app:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "default",
			reason: "denied by policy",
		},
		{
			name:   "host is literal",
			facts:  Facts{Image: img(t, "registry.example.com.evil.io/payments/api:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "default",
		},
		{
			name:   "more specific deny rule wins",
			facts:  Facts{Image: img(t, "registry.example.com/legacy/app:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "rules[3] registry.example.com/legacy/*",
		},
		{
			name:   "none",
			facts:  Facts{Image: img(t, "registry.example.com/open/app:1"), Trust: &TrustProblem{Kind: TrustMissing}},
			result: Pass,
			rule:   "rules[4] registry.example.com/open/*",
			reason: "no signature required",
		},
		{
			name:   "* stays in its segment",
			facts:  Facts{Image: img(t, "registry.example.com/open/sub/app:1")},
			result: Fail,
			rule:   "rules[2] registry.example.com/**",
		},
		{
			name:   "exception",
			facts:  Facts{Image: img(t, "registry.example.com/tools/debug:hotfix")},
			result: Exception,
			rule:   "exceptions[0] registry.example.com/tools/debug:*",
			reason: "INC-4711 hotfix (exception until 2026-12-31)",
		},
		{
			name:   "exception with a trust error",
			facts:  Facts{Image: img(t, "registry.example.com/tools/debug:hotfix"), Trust: &TrustProblem{Kind: TrustInvalid}},
			result: Exception,
		},
		{
			name:   "repo:* exception needs a tag",
			facts:  Facts{Image: img(t, "registry.example.com/tools/debug@"+digestA)},
			result: Fail,
			rule:   "rules[2] registry.example.com/**",
		},
		{
			name:   "expired exception",
			facts:  Facts{Image: img(t, "registry.example.com/tools/old:1")},
			result: Fail,
			rule:   "rules[2] registry.example.com/**",
		},
		{
			name:   "trust data missing",
			facts:  Facts{Image: img(t, "registry.example.com/app:1"), Trust: &TrustProblem{Kind: TrustMissing, Reason: "no trust data for registry.example.com/app"}},
			result: TrustError,
			reason: "trust data missing: no trust data for registry.example.com/app",
		},
		{
			name:   "trust data invalid",
			facts:  Facts{Image: img(t, "registry.example.com/app:1"), Trust: &TrustProblem{Kind: TrustInvalid, Reason: "root does not match pin"}, Release: release("1", digestA)},
			result: TrustError,
		},
		{
			name:   "expired trust data with expired: warn",
			facts:  Facts{Image: img(t, "registry.example.com/app:1"), Trust: &TrustProblem{Kind: TrustExpired, Reason: "timestamp expired"}, Release: release("1", digestA)},
			result: Warn,
			reason: "tag 1 is signed with sha256:aaaaaaaaaaaa… in targets/releases; trust data expired: timestamp expired",
		},
		{
			name:   "expired trust data does not hide a failure",
			facts:  Facts{Image: img(t, "registry.example.com/app:1"), Trust: &TrustProblem{Kind: TrustExpired}},
			result: Fail,
		},
		// No spelling of a host escapes a rule: deny rules, team rules and exceptions
		// meet Registry.Example.com, :443 and registry-1.docker.io as they meet the
		// canonical spelling.
		{
			name:   "deny rule, host in capitals",
			facts:  Facts{Image: img(t, "Registry.Example.com/legacy/app:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "rules[3] registry.example.com/legacy/*",
		},
		{
			name:   "deny rule, port 443 written",
			facts:  Facts{Image: img(t, "registry.example.com:443/legacy/app:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "rules[3] registry.example.com/legacy/*",
		},
		{
			name:   "team rule, port 0443 written",
			facts:  Facts{Image: img(t, "REGISTRY.example.com:0443/payments/api:1"), Release: release("1", digestA)},
			result: Fail,
			rule:   "rules[0] registry.example.com/payments/**",
		},
		{
			name:   "Docker Hub as registry-1.docker.io",
			facts:  Facts{Image: img(t, "registry-1.docker.io/library/nginx:1"), Release: release("1", digestA)},
			result: Pass,
			rule:   "rules[1] nginx",
		},
		{
			name:   "exception, host in capitals",
			facts:  Facts{Image: img(t, "Registry.Example.com:443/tools/debug:hotfix")},
			result: Exception,
			rule:   "exceptions[0] registry.example.com/tools/debug:*",
		},
		{
			name:   "unpinned repository with on_unpinned: deny",
			facts:  Facts{Image: img(t, "registry.example.com.evil.io/x:1")},
			result: Fail,
			rule:   "default",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Evaluate(tt.facts, now)
			if d.Result != tt.result {
				t.Errorf("result %v (%s), want %v", d.Result, d.Reason, tt.result)
			}
			if tt.rule != "" && d.Rule != tt.rule {
				t.Errorf("rule %q, want %q", d.Rule, tt.rule)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reason)
			}
			if tt.signedBy != nil && !slices.Equal(d.SignedBy, tt.signedBy) {
				t.Errorf("signed by %v, want %v", d.SignedBy, tt.signedBy)
			}
			if strings.Contains(d.Reason, "\n") {
				t.Errorf("reason %q is not one line", d.Reason)
			}
		})
	}
}

func TestExpiredException(t *testing.T) {
	p, _ := testPolicy(t, mainPolicy)
	f := Facts{Image: img(t, "registry.example.com/tools/old:1"), Release: release("1", digestA)}
	// The exception holds through its last day.
	if d := p.Evaluate(f, time.Date(2026, 5, 31, 23, 59, 0, 0, time.UTC)); d.Result != Exception || d.ExpiredException != "" {
		t.Errorf("on its last day: %+v", d)
	}
	d := p.Evaluate(f, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if d.Result != Pass || d.ExpiredException != "exceptions[1] registry.example.com/tools/old:*" {
		t.Errorf("the day after: %+v", d)
	}
	if s := Summarize([]Decision{d}); s.ExpiredExceptions != 1 || s.Passed != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestOnUnpinned(t *testing.T) {
	const text = `version: 1
trust:
  pins:
    - match: "registry.example.com/**"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
  on_unpinned: %s
`
	f := Facts{Image: img(t, "quay.io/org/app:1"), Release: release("1", digestA)}
	for action, want := range map[string]Result{"deny": Fail, "warn": Warn} {
		p, _ := testPolicy(t, strings.Replace(text, "%s", action, 1))
		d := p.Evaluate(f, now)
		if d.Result != want {
			t.Errorf("on_unpinned %s: %v (%s), want %v", action, d.Result, d.Reason, want)
		}
		if pinned := p.Evaluate(Facts{Image: img(t, "registry.example.com/app:1"), Release: release("1", digestA)}, now); pinned.Result != Pass {
			t.Errorf("on_unpinned %s, pinned repository: %v (%s)", action, pinned.Result, pinned.Reason)
		}
	}
}

func TestDefaults(t *testing.T) {
	// No default: signed; no trust section: on_unpinned warn, expired deny.
	p, _ := testPolicy(t, "version: 1\n")
	if p.OnUnpinned() != ActionWarn || p.Expired() != ActionDeny {
		t.Errorf("on_unpinned %v, expired %v", p.OnUnpinned(), p.Expired())
	}
	d := p.Evaluate(Facts{Image: img(t, "nginx:1"), Release: release("1", digestA)}, now)
	if d.Result != Warn || d.Rule != "default" || !strings.Contains(d.Reason, "root not pinned") {
		t.Errorf("%+v", d)
	}
	if d := p.Evaluate(Facts{Image: img(t, "nginx:1")}, now); d.Result != Fail {
		t.Errorf("unsigned: %+v", d)
	}
	p, _ = testPolicy(t, "version: 1\ndefault: {require: none}\n")
	if d := p.Evaluate(Facts{Image: img(t, "nginx:1")}, now); d.Result != Pass {
		t.Errorf("default none: %+v", d)
	}
	p, _ = testPolicy(t, "version: 1\ndefault: {require: signed, mode: warn}\ntrust: {expired: deny}\n")
	if d := p.Evaluate(Facts{Image: img(t, "nginx:1"), Trust: &TrustProblem{Kind: TrustExpired}}, now); d.Result != Warn {
		t.Errorf("default warn mode: %+v", d)
	}
}

func TestPinFor(t *testing.T) {
	p, _ := testPolicy(t, mainPolicy)
	tests := []struct {
		gun   string
		label string
	}{
		{"registry.example.com/payments/api", "trust.pins[0] registry.example.com/payments/**"},
		{"registry.example.com/payments/a/b", "trust.pins[0] registry.example.com/payments/**"},
		{"registry.example.com/app", "trust.pins[1] registry.example.com/**"},
		{"docker.io/library/nginx", "trust.pins[2] docker.io/library/*"},
		{"docker.io/org/nginx", ""},
		{"registry.example.com.evil.io/payments/api", ""},
		{"registry.example.com:5000/app", ""},
		{"Registry.Example.com/app", "trust.pins[1] registry.example.com/**"},
		{"registry.example.com:443/payments/api", "trust.pins[0] registry.example.com/payments/**"},
		{"registry-1.docker.io/library/nginx", "trust.pins[2] docker.io/library/*"},
		{"index.docker.io/library/nginx", "trust.pins[2] docker.io/library/*"},
	}
	for _, tt := range tests {
		pin, ok := p.PinFor(tt.gun)
		if ok != (tt.label != "") || pin.Label != tt.label {
			t.Errorf("PinFor(%s) = %q, %v; want %q", tt.gun, pin.Label, ok, tt.label)
		}
	}
	pin, _ := p.PinFor("registry.example.com/payments/api")
	if !slices.Equal(pin.RootKeys, []string{rootKey}) || pin.CA != nil {
		t.Errorf("payments pin %+v", pin)
	}
	pin, _ = p.PinFor("registry.example.com/app")
	if pin.CA == nil || filepath.Base(pin.CAFile) != "ca.pem" || len(pin.RootKeys) != 0 {
		t.Errorf("CA pin %+v", pin)
	}
}

func TestExplain(t *testing.T) {
	p, _ := testPolicy(t, mainPolicy)
	x := p.Explain(Facts{Image: img(t, "registry.example.com/legacy/strict:1")}, now)
	want := []Candidate{
		{Label: "rules[2] registry.example.com/**", Why: "lost to rules[3] registry.example.com/legacy/*: shorter literal prefix (21 < 28)"},
		{Label: "rules[3] registry.example.com/legacy/*", Won: true, Why: "most specific match"},
		{Label: "rules[5] registry.example.com/*/strict", Why: "lost to rules[3] registry.example.com/legacy/*: shorter literal prefix (21 < 28)"},
		{Label: "default", Why: "not used: a rule matches"},
	}
	if len(x.Rules) != len(want) {
		t.Fatalf("rules %+v", x.Rules)
	}
	for i, c := range x.Rules {
		if c.Label != want[i].Label || c.Won != want[i].Won || c.Why != want[i].Why {
			t.Errorf("rules[%d] = %+v, want %+v", i, c, want[i])
		}
	}
	if x.Decision.Rule != "rules[3] registry.example.com/legacy/*" || x.Decision.Result != Fail {
		t.Errorf("decision %+v", x.Decision)
	}
	if len(x.Pins) != 1 || !x.Pins[0].Won {
		t.Errorf("pins %+v", x.Pins)
	}

	x = p.Explain(Facts{Image: img(t, "registry.example.com/tools/debug:1")}, now)
	if len(x.Exceptions) != 1 || !x.Exceptions[0].Won || x.Rules[0].Won || !strings.HasPrefix(x.Rules[0].Why, "overridden by exceptions[0]") {
		t.Errorf("exception explanation %+v", x)
	}
	x = p.Explain(Facts{Image: img(t, "registry.example.com/tools/old:1")}, now)
	if len(x.Exceptions) != 1 || x.Exceptions[0].Won || x.Exceptions[0].Why != "expired after 2026-05-31" {
		t.Errorf("expired exception explanation %+v", x.Exceptions)
	}
	x = p.Explain(Facts{Image: img(t, "quay.io/x:1")}, now)
	if len(x.Rules) != 1 || !x.Rules[0].Won || x.Rules[0].Label != "default" {
		t.Errorf("default explanation %+v", x.Rules)
	}
}

func TestSummarizeWorst(t *testing.T) {
	ds := []Decision{{Result: Pass}, {Result: Warn}, {Result: Exception}, {Result: Pass, ExpiredException: "x"}}
	if s := Summarize(ds); s != (Summary{Passed: 2, Warned: 1, Excepted: 1, ExpiredExceptions: 1}) {
		t.Errorf("summary %+v", s)
	}
	if w := Worst(ds); w != Warn || w.Kind() != nil {
		t.Errorf("worst %v", w)
	}
	ds = append(ds, Decision{Result: TrustError})
	if w := Worst(ds); w != TrustError || w.Kind() != exitcode.ErrTrustData {
		t.Errorf("worst %v", w)
	}
	ds = append(ds, Decision{Result: Fail})
	if w := Worst(ds); w != Fail || w.Kind() != exitcode.ErrViolation {
		t.Errorf("worst %v", w)
	}
	if w := Worst(nil); w != Pass {
		t.Errorf("worst of none %v", w)
	}
}

func TestErrInvalidPolicy(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yml"))
	if !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("%v is not ErrInvalidPolicy", err)
	}
}
