package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The transition policy of issue 13: both schemes count until notary_until, and teams
// are met by either. alice (qa) and carol (security) are certificate members; the
// team "ops" has only a key.
const sourcesPolicy = `version: 1
trust:
  sources: [notary, cosign]
  notary_until: 2026-06-30
  pins:
    - match: "r.io/**"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
teams:
  qa:
    roles: [targets/qa]
    members: [alice.pem]
  security:
    members: [carol.pem]
  ops:
    keys: [dave.pem]
rules:
  - match: "r.io/pay/**"
    require: {teams: [qa, security]}
  - match: "r.io/ops/**"
    require: {teams: [ops]}
default: {require: signed}
`

func TestSources(t *testing.T) {
	p, m := testPolicy(t, sourcesPolicy)
	qa, sec, ops := m["alice"].canonicalID, m["carol"].certID, m["dave"].canonicalID
	notaryQA := RoleSignature{Role: "targets/qa", Tag: "1", Digest: digestA, Verified: true, KeyIDs: []string{m["alice"].certID}}
	cosign := func(digest string, b Binding, signedFor string, ids ...string) CosignSignature {
		return CosignSignature{Digest: digest, Format: "legacy", KeyIDs: ids, Binding: b, SignedFor: signedFor}
	}
	noNotary := &TrustProblem{Kind: TrustMissing, Reason: "no trust data"}
	after := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, ref string
		at        time.Time
		facts     Facts
		result    Result
		code      Code
		signedBy  []string
		reason    string
	}{
		{name: "notary only", ref: "r.io/app:1", facts: Facts{Release: release("1", digestA)},
			result: Pass, code: CodeSigned, signedBy: []string{"targets/releases"}},
		{name: "cosign only, tag bound", ref: "r.io/app:1",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/app:1", qa)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (cosign)"}, reason: "tag 1 is signed with sha256:aaaaaaaaaaaa…, signed by qa (cosign)"},
		{name: "cosign signature naming another tag", ref: "r.io/app:1",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsOther, "r.io/app:2", qa)}}},
			result: Fail, code: CodeTagMismatch, reason: "cosign signature by qa (cosign) on sha256:aaaaaaaaaaaa… names r.io/app:2, not r.io/app:1"},
		{name: "repository-only reference refused by default", ref: "r.io/app:1",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsRepository, "r.io/app", qa)}}},
			result: Fail, code: CodeTagUnbound},
		{name: "repository-only reference for a digest reference", ref: "r.io/app@" + digestA,
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{Signatures: []CosignSignature{cosign(digestA, BindsRepository, "r.io/app", qa)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (cosign)"}},
		{name: "cosign signature over another digest", ref: "r.io/app:1",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestB, BindsTag, "r.io/app:1", qa)}}},
			result: Fail, code: CodeUnsigned},
		{name: "no registry digest recorded", ref: "r.io/app:1", facts: Facts{Trust: noNotary},
			result: Fail, code: CodeUnsigned},
		{name: "pinned digest differs from the registry's", ref: "r.io/app:1@" + digestB,
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/app:1", qa)}}},
			result: Fail, code: CodeUnsigned},
		{name: "unreadable cosign data", ref: "r.io/app:1", facts: Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Problem: "bad file"}},
			result: TrustError, code: CodeTrustData},
		{name: "invalid notary data is still a trust error", ref: "r.io/app:1",
			facts:  Facts{Trust: &TrustProblem{Kind: TrustInvalid, Reason: "bad signature"}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/app:1", qa)}}},
			result: TrustError, code: CodeTrustData},
		{name: "notary release wins over a cosign signature on another digest", ref: "r.io/app:1",
			facts:  Facts{Release: release("1", digestA), Cosign: CosignFacts{TagDigest: digestB, Signatures: []CosignSignature{cosign(digestB, BindsTag, "r.io/app:1", qa)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"targets/releases"}},
		{name: "teams: one by notary, one by cosign", ref: "r.io/pay/api:1",
			facts:  Facts{Release: release("1", digestA), Roles: []RoleSignature{notaryQA}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/pay/api:1", sec)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa", "security (cosign)"}},
		{name: "teams: cosign only, both teams", ref: "r.io/pay/api:1",
			facts: Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{
				cosign(digestA, BindsTag, "r.io/pay/api:1", qa), cosign(digestA, BindsTag, "r.io/pay/api:1", sec)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (cosign)", "security (cosign)"}},
		{name: "teams: a cosign signature for another tag does not count", ref: "r.io/pay/api:1",
			facts: Facts{Release: release("1", digestA), Roles: []RoleSignature{notaryQA}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{
				cosign(digestA, BindsOther, "r.io/pay/api:0", sec)}}},
			result: Fail, code: CodeTeamsMissing},
		{name: "teams: a key-only team signs with cosign", ref: "r.io/ops/tool:1",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/ops/tool:1", ops)}}},
			result: Pass, code: CodeSigned, signedBy: []string{"ops (cosign)"}},
		{name: "after notary_until notary is evidence only", ref: "r.io/app:1", at: after,
			facts:  Facts{Release: release("1", digestA)},
			result: Fail, code: CodeUnsigned, reason: "Notary v1 signatures count only as evidence after 2026-06-30"},
		{name: "after notary_until a notary trust error does not matter", ref: "r.io/app:1", at: after,
			facts:  Facts{Trust: &TrustProblem{Kind: TrustExpired, Reason: "timestamp expired"}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/app:1", qa)}}},
			result: Pass, code: CodeSigned},
		{name: "after notary_until notary roles count for no team", ref: "r.io/pay/api:1", at: after,
			facts:  Facts{Release: release("1", digestA), Roles: []RoleSignature{notaryQA}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{cosign(digestA, BindsTag, "r.io/pay/api:1", sec)}}},
			result: Fail, code: CodeTeamsMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = now
			}
			f := tt.facts
			f.Image = img(t, tt.ref)
			d := p.Evaluate(f, at)
			if d.Result != tt.result || d.Code != tt.code {
				t.Fatalf("got %s/%s (%s), want %s/%s", d.Result, d.Code, d.Reason, tt.result, tt.code)
			}
			if tt.signedBy != nil && strings.Join(d.SignedBy, ",") != strings.Join(tt.signedBy, ",") {
				t.Errorf("signed by %q, want %q", d.SignedBy, tt.signedBy)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reason)
			}
		})
	}
}

func TestTagBindingDigest(t *testing.T) {
	p, m := testPolicy(t, "version: 1\ntrust:\n  sources: [cosign]\n  tag_binding: digest\nteams:\n  qa: {keys: [alice.pem]}\n")
	f := Facts{Image: img(t, "r.io/app:1"), Trust: &TrustProblem{Kind: TrustMissing, Reason: "none"}, Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{
		{Digest: digestA, KeyIDs: []string{m["alice"].certID}, Binding: BindsRepository, SignedFor: "r.io/app"}}}}
	if d := p.Evaluate(f, now); d.Result != Pass {
		t.Fatalf("repository-only reference under tag_binding: digest: %s %s", d.Result, d.Reason)
	}
	f.Cosign.Signatures[0].Binding = BindsOther
	if d := p.Evaluate(f, now); d.Code != CodeTagMismatch {
		t.Fatalf("another tag under tag_binding: digest: %s %s", d.Code, d.Reason)
	}
	// cosign only: notary data is never consulted, even when it releases the tag.
	f = Facts{Image: img(t, "r.io/app:1"), Release: release("1", digestA)}
	if d := p.Evaluate(f, now); d.Result != Fail {
		t.Fatalf("notary release under sources [cosign]: %s %s", d.Result, d.Reason)
	}
}

func TestPolicyKeys(t *testing.T) {
	p, m := testPolicy(t, sourcesPolicy)
	keys := p.Keys()
	var teams []string
	for _, k := range keys {
		teams = append(teams, k.Team)
		if k.Public == nil || len(k.IDs) == 0 {
			t.Errorf("key of %s without public key or IDs", k.Team)
		}
	}
	if strings.Join(teams, ",") != "ops,qa,security" {
		t.Errorf("keys of teams %v, want ops, qa, security in name order", teams)
	}
	if ids := keys[1].IDs; len(ids) != 2 || ids[0] != m["alice"].certID || ids[1] != m["alice"].canonicalID {
		t.Errorf("alice's IDs %v, want certificate and canonical ID", ids)
	}
	def, _ := testPolicy(t, "version: 1\n")
	if s := def.Sources(); !s.Notary || s.Cosign || !def.NotaryCounts(now) {
		t.Errorf("default sources %+v, want notary only", s)
	}
}

func TestParseSourcesErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"unknown source", "version: 1\ntrust:\n  sources: [notary, notation]\n", `policy.yml:3: trust.sources[1] must be notary, cosign or evidence, not "notation"`},
		{"duplicate source", "version: 1\ntrust:\n  sources:\n    - cosign\n    - cosign\n", "policy.yml:5: trust.sources[1]: cosign is listed twice"},
		{"empty sources", "version: 1\ntrust:\n  sources: []\n", "policy.yml:3: trust.sources is empty"},
		{"sources not a list", "version: 1\ntrust:\n  sources: cosign\n", "policy.yml:3: trust.sources must be a list"},
		{"bad notary_until", "version: 1\ntrust:\n  sources: [notary, cosign]\n  notary_until: soon\n", `policy.yml:4: trust.notary_until: "soon" is not a date`},
		{"notary_until without cosign", "version: 1\ntrust:\n  notary_until: 2026-12-08\n", "policy.yml:3: trust.notary_until needs trust.sources [notary, cosign]"},
		{"bad tag_binding", "version: 1\ntrust:\n  tag_binding: loose\n", `policy.yml:3: trust.tag_binding must be required or digest, not "loose"`},
		{"unreadable key", "version: 1\nteams:\n  qa:\n    keys: [nope.pem]\n", "policy.yml:4: teams.qa.keys[0]: open "},
		{"key file without a key", "version: 1\nteams:\n  qa:\n    keys:\n      - policy.yml\n", "policy.yml:5: teams.qa.keys[0]: policy.yml: no PEM certificate or public key"},
		{"key ID as a key", "version: 1\nteams:\n  qa:\n    keys: [" + strings.Repeat("ab", 32) + "]\n", "policy.yml:4: teams.qa.keys[0]: "},
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
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestCosignWithoutKeysWarns(t *testing.T) {
	p, err := Parse("policy.yml", []byte("version: 1\ntrust:\n  sources: [notary, cosign]\nteams:\n  qa: {members: ["+strings.Repeat("ab", 32)+"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "policy.yml:3: trust.sources lists cosign, but no team has a key file") {
		t.Errorf("warnings %q", w)
	}
	if p, _ := testPolicy(t, sourcesPolicy); len(p.Warnings()) != 0 {
		t.Errorf("warnings with keys: %q", p.Warnings())
	}
}
