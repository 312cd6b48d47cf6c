package policy

import (
	"strings"
	"testing"
	"time"
)

// The policy a team keeps after the notary server is gone: the evidence migrate kept
// proves the Notary v1 signatures, and cosign signs what came after.
const evidencePolicy = `version: 1
trust:
  sources: [evidence, cosign]
  pins:
    - match: "r.io/**"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
teams:
  qa:
    roles: [targets/qa]
    members: [alice.pem]
  security:
    members: [carol.pem]
rules:
  - match: "r.io/pay/**"
    require: {teams: [qa, security]}
default: {require: signed}
`

func TestEvidenceFacts(t *testing.T) {
	p, m := testPolicy(t, evidencePolicy)
	migrated := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	later := migrated.AddDate(0, 1, 0)
	claim := func(tag, role, digest string, at time.Time, ids ...string) EvidenceClaim {
		return EvidenceClaim{Tag: tag, Role: role, Digest: digest, KeyIDs: ids, Migrated: at}
	}
	noNotary := &TrustProblem{Kind: TrustMissing, Reason: "no trust data"}
	rel := claim("1.4", "targets/releases", digestA, migrated, m["alice"].certID)
	qa := claim("1.4", "targets/qa", digestA, migrated, m["alice"].certID)
	sec := claim("1.4", "targets/sec", digestA, later, m["carol"].canonicalID)
	tests := []struct {
		name, ref string
		facts     Facts
		result    Result
		code      Code
		signedBy  []string
		reason    string
	}{
		{name: "a release in the evidence", ref: "r.io/app:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel, qa}}},
			result: Pass, code: CodeSigned, signedBy: []string{"targets/releases (evidence 2026-12-06)", "targets/qa (evidence 2026-12-06)"},
			reason: "tag 1.4 was signed with sha256:aaaaaaaaaaaa… in targets/releases (evidence 2026-12-06)"},
		{name: "teams by role and by key, each with its date", ref: "r.io/pay/api:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel, qa, sec}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (evidence 2026-12-06)", "security (evidence 2027-01-06)"}},
		{name: "a team missing from the evidence", ref: "r.io/pay/api:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel, qa}}},
			result: Fail, code: CodeTeamsMissing, reason: "team security has not signed it"},
		{name: "a team's evidence and a team's cosign signature", ref: "r.io/pay/api:1.4",
			facts: Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel, qa}},
				Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{{Digest: digestA, KeyIDs: []string{m["carol"].certID}, Binding: BindsTag}}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (evidence 2026-12-06)", "security (cosign)"}},
		{name: "only a delegation listed the tag: not a release", ref: "r.io/app:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{qa}}},
			result: Fail, code: CodeUnsigned, reason: "no evidence that tag 1.4 was signed with sha256:aaaaaaaaaaaa… in targets/releases or targets"},
		{name: "evidence of another tag at the digest", ref: "r.io/app:1.5",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel}}},
			result: Fail, code: CodeUnsigned},
		{name: "the registry serves another digest now", ref: "r.io/app:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestB, Claims: []EvidenceClaim{rel}}},
			result: Fail, code: CodeUnsigned},
		{name: "a pinned digest the evidence proves", ref: "r.io/app:1.4@" + digestA,
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{Claims: []EvidenceClaim{rel}}},
			result: Pass, code: CodeSigned},
		{name: "a digest reference", ref: "r.io/app@" + digestA,
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{Claims: []EvidenceClaim{rel}}},
			result: Pass, code: CodeSigned, reason: "digest sha256:aaaaaaaaaaaa… was signed as tag 1.4 in targets/releases (evidence 2026-12-06)"},
		{name: "no digest recorded for the tag", ref: "r.io/app:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{Claims: []EvidenceClaim{rel}}},
			result: Fail, code: CodeUnsigned, reason: "trustctl fetch --evidence records it"},
		{name: "altered evidence is refused with its reason", ref: "r.io/app:1.4",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel}, Problem: "/t/evidence/r.io/app/sha256-a.json: the file of targets/qa is missing or altered"}},
			result: TrustError, code: CodeEvidence, reason: "evidence: /t/evidence/r.io/app/sha256-a.json: the file of targets/qa is missing or altered"},
		{name: "altered evidence is refused even when cosign signed", ref: "r.io/app:1.4",
			facts: Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestA, Problem: "altered"},
				Cosign: CosignFacts{TagDigest: digestA, Signatures: []CosignSignature{{Digest: digestA, KeyIDs: []string{m["alice"].certID}, Binding: BindsTag}}}},
			result: TrustError, code: CodeEvidence},
		{name: "cosign decides what the evidence leaves open", ref: "r.io/app:2.0",
			facts:  Facts{Trust: noNotary, Cosign: CosignFacts{TagDigest: digestB, Signatures: []CosignSignature{{Digest: digestB, KeyIDs: []string{m["alice"].certID}, Binding: BindsTag}}}},
			result: Pass, code: CodeSigned, signedBy: []string{"qa (cosign)"}},
		{name: "neither source: both reasons", ref: "r.io/app:2.0",
			facts:  Facts{Trust: noNotary, Evidence: EvidenceFacts{TagDigest: digestB}, Cosign: CosignFacts{TagDigest: digestB}},
			result: Fail, code: CodeUnsigned, reason: "no evidence that tag 2.0 was signed with sha256:bbbbbbbbbbbb… in targets/releases or targets; r.io/app:2.0: no cosign signature"},
		{name: "Notary v1 is not a source: its release counts for nothing", ref: "r.io/app:1.4",
			facts:  Facts{Release: release("1.4", digestA)},
			result: Fail, code: CodeUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			f.Image = img(t, tt.ref)
			d := p.Evaluate(f, now)
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

// Evidence counts beside Notary v1 (verify --evidence), also after trust.notary_until,
// and an unpinned evidence root warns as an unpinned Notary v1 root does.
func TestEvidenceBesideNotary(t *testing.T) {
	p, m := testPolicy(t, sourcesPolicy)
	p = p.WithEvidence()
	rel := EvidenceClaim{Tag: "1", Role: "targets/releases", Digest: digestA, KeyIDs: []string{m["alice"].certID}, Migrated: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	after := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	f := Facts{Image: img(t, "r.io/app:1"), Release: release("1", digestA), Evidence: EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel}}}
	if d := p.Evaluate(f, now); d.Result != Pass || strings.Join(d.SignedBy, ",") != "targets/releases,targets/releases (evidence 2026-06-01)" {
		t.Fatalf("before notary_until: %s %q %s", d.Result, d.SignedBy, d.Reason)
	}
	if d := p.Evaluate(f, after); d.Result != Pass || !strings.Contains(d.Reason, "(evidence 2026-06-01)") {
		t.Fatalf("after notary_until: %s %s", d.Result, d.Reason)
	}
	unpinned, _ := testPolicy(t, "version: 1\ntrust:\n  sources: [evidence]\n")
	f.Release = nil
	f.Trust = &TrustProblem{Kind: TrustMissing, Reason: "none"}
	if d := unpinned.Evaluate(f, now); d.Result != Warn || !strings.Contains(d.Reason, "root not pinned (the evidence's own root trusted)") {
		t.Fatalf("unpinned: %s %s", d.Result, d.Reason)
	}
	deny, _ := testPolicy(t, "version: 1\ntrust:\n  sources: [evidence]\n  on_unpinned: deny\n")
	if d := deny.Evaluate(f, now); d.Code != CodeUnpinned {
		t.Fatalf("unpinned, deny: %s %s", d.Code, d.Reason)
	}
	// The server closes: Notary v1 counts through notary_until, the evidence after it.
	closing, _ := testPolicy(t, "version: 1\ntrust:\n  sources: [notary, evidence]\n  notary_until: 2026-06-30\n")
	f = Facts{Image: img(t, "r.io/app:1"), Release: release("1", digestA)}
	if d := closing.Evaluate(f, after); d.Result == Pass || !strings.Contains(d.Reason, "count only as evidence after 2026-06-30") {
		t.Fatalf("notary release after notary_until: %s %s", d.Result, d.Reason)
	}
	f.Evidence = EvidenceFacts{TagDigest: digestA, Claims: []EvidenceClaim{rel}}
	if d := closing.Evaluate(f, after); d.Result != Warn || !strings.Contains(d.Reason, "(evidence 2026-06-01)") {
		t.Fatalf("evidence after notary_until: %s %s", d.Result, d.Reason)
	}
	if s := unpinned.Sources(); s.Notary || s.Cosign || !s.Evidence {
		t.Errorf("sources %+v, want evidence only", s)
	}
}

func TestEvidenceWithoutPinsWarns(t *testing.T) {
	p, err := Parse("policy.yml", []byte("version: 1\ntrust:\n  sources: [evidence]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "policy.yml:3: trust.sources lists evidence, but trust.pins is empty") {
		t.Errorf("warnings %q", w)
	}
	if p, _ := testPolicy(t, evidencePolicy); len(p.Warnings()) != 0 {
		t.Errorf("warnings with pins: %q", p.Warnings())
	}
}
