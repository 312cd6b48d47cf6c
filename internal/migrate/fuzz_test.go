package migrate

import (
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
)

const fuzzSubject = "sha256:f7e0365ae97a8288b8bd9fd3aeb8fe908d569e9a876389887e88871ac589fa5f"

// FuzzParseEvidence: an evidence manifest from a registry never panics, and what it
// accepts has claims and one Notary metadata layer per role.
func FuzzParseEvidence(f *testing.F) {
	ep := &evidencePlan{
		dp:     &digestPlan{gun: "registry.example/team/app", subject: registry.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: fuzzSubject, Size: 422}},
		claims: []Claim{{Tag: "1.0", Role: "targets/qa"}},
		files:  map[string][]byte{"root": []byte(`{"signed":{}}`), "targets/qa": []byte(`{}`)},
	}
	a, err := evidenceArtifact(ep, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(a.Manifest)
	f.Add([]byte(`{"schemaVersion":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, layers, err := parseEvidence(b, "registry.example/team/app", fuzzSubject, "sha256:00")
		if err != nil {
			return
		}
		if len(e.claims) == 0 || len(layers) > maxEvidenceLayers {
			t.Fatalf("accepted %+v with %d layers", e, len(layers))
		}
		seen := map[string]bool{}
		for _, l := range layers {
			role := l.Annotations[KeyRole]
			if l.MediaType != MediaTypeNotaryFile || role == "" || seen[role] {
				t.Fatalf("accepted layer %+v", l)
			}
			seen[role] = true
		}
	})
}

// FuzzVerifyStoredEvidence: evidence kept in the trust dir (manifest and one file, as a
// registry served them) never panics the offline verifier, and what it accepts proves
// claims about the digest.
func FuzzVerifyStoredEvidence(f *testing.F) {
	ep := &evidencePlan{
		dp:     &digestPlan{gun: "registry.example/team/app", subject: registry.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: fuzzSubject, Size: 422}},
		claims: []Claim{{Tag: "1.0", Role: "targets/qa"}},
		files:  map[string][]byte{"root": []byte(`{"signed":{},"signatures":[]}`)},
	}
	a, err := evidenceArtifact(ep, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(a.Manifest, a.Blobs[1].Data)
	f.Add([]byte(`{}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, manifest, file []byte) {
		stored := []StoredEvidence{{Manifest: manifest, Blobs: map[string][]byte{cosign.Digest(file): file}}}
		got, err := VerifyStoredEvidence("registry.example/team/app", fuzzSubject, stored, nil)
		if err == nil && (len(got) != 1 || len(got[0].Claims) == 0) {
			t.Fatalf("accepted %+v", got)
		}
	})
}
