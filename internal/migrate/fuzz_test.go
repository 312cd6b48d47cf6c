package migrate

import (
	"testing"
	"time"

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
