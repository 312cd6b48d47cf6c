package gate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// evidenceArtifact is an evidence artifact of migrate's format over subject, holding
// files, claiming claims, migrated at.
func evidenceArtifact(t *testing.T, subject string, files map[string][]byte, at time.Time, claims ...migrate.Claim) sigcache.Artifact {
	t.Helper()
	cl, _ := json.Marshal(claims)
	m := cosign.Manifest{SchemaVersion: 2, MediaType: cosign.MediaTypeOCIManifest, ArtifactType: migrate.ArtifactTypeEvidence,
		Config:      cosign.Descriptor{MediaType: cosign.MediaTypeOCIEmpty, Size: 2, Digest: cosign.Digest([]byte("{}"))},
		Subject:     &cosign.Descriptor{MediaType: cosign.MediaTypeOCIManifest, Size: 10, Digest: subject},
		Annotations: map[string]string{migrate.KeyGUN: gun, migrate.AnnotationEvidenceFor: string(cl), migrate.KeyMigrated: at.UTC().Format(time.RFC3339)}}
	a := sigcache.Artifact{Blobs: map[string][]byte{}}
	roles := make([]string, 0, len(files))
	for role := range files {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
		d := cosign.Descriptor{MediaType: migrate.MediaTypeNotaryFile, Size: int64(len(files[role])), Digest: cosign.Digest(files[role]),
			Annotations: map[string]string{migrate.KeyRole: role}}
		m.Layers = append(m.Layers, d)
		a.Blobs[d.Digest] = files[role]
	}
	var err error
	if a.Manifest, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return a
}

// evidenceWorld is a trust dir holding only evidence, as fetch --evidence keeps it a
// year after the notary server is gone: the Notary v1 data (releases by alice, team qa
// by bob, both listing 1.0; 2.0 only in qa) expired long ago; it was migrated the day
// after it was signed, twice (a second run that added 2.0).
type evidenceWorld struct {
	dir           store.Dir
	rootID, bob   string
	v10, v2       string
	first, second time.Time
	recordOf1dot0 string
}

func newEvidenceWorld(t *testing.T) evidenceWorld {
	t.Helper()
	r := tuftest.New(t, gun, now)
	alice, bob := tuftest.NewKey(t), tuftest.NewKey(t)
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, alice)
	r.Delegate(tuf.RoleTargets, "targets/qa", []string{""}, bob)
	v10, v2 := []byte(`{"v":"1.0"}`), []byte(`{"v":"2"}`)
	r.AddTarget("targets/releases", "1.0", v10)
	r.AddTarget("targets/qa", "1.0", v10)
	r.AddTarget("targets/qa", "2.0", v2)
	r.Publish(t)
	w := evidenceWorld{dir: store.Dir{Root: t.TempDir()}, rootID: r.Signers[tuf.RoleRoot][0].PublicKey().ID(), bob: bob.PublicKey().ID(),
		v10: tuftest.Digest(v10), v2: tuftest.Digest(v2), first: now.Add(24 * time.Hour), second: now.Add(48 * time.Hour)}
	// The later artifact is listed first: reports still name the oldest proof.
	rec := sigcache.EvidenceRecord{Digest: w.v10, Artifacts: []sigcache.Artifact{
		evidenceArtifact(t, w.v10, r.Files, w.second, migrate.Claim{Tag: "1.0", Role: "targets/qa"}, migrate.Claim{Tag: "1.0", Role: "targets/releases"}),
		evidenceArtifact(t, w.v10, r.Files, w.first, migrate.Claim{Tag: "1.0", Role: "targets/qa"}, migrate.Claim{Tag: "1.0", Role: "targets/releases"}),
	}}
	w.recordOf1dot0 = writeEvidence(t, w.dir, rec)
	writeEvidence(t, w.dir, sigcache.EvidenceRecord{Digest: w.v2, Artifacts: []sigcache.Artifact{
		evidenceArtifact(t, w.v2, r.Files, w.second, migrate.Claim{Tag: "2.0", Role: "targets/qa"})}})
	tags, _ := json.Marshal(map[string]any{"tags": map[string]string{"1.0": w.v10, "2.0": w.v2}})
	if err := store.WriteFileAtomic(filepath.Join(w.dir.Root, "cosign", gun, "tags.json"), tags); err != nil {
		t.Fatal(err)
	}
	return w
}

func writeEvidence(t *testing.T, dir store.Dir, rec sigcache.EvidenceRecord) string {
	t.Helper()
	path, err := sigcache.EvidencePath(dir, gun, rec.Digest)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if err := store.WriteFileAtomic(path, b); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvidenceFacts(t *testing.T) {
	w := newEvidenceWorld(t)
	yearLater := now.AddDate(1, 0, 0)
	pins := "  pins: [{match: '" + gun + "', root_keys: ['" + w.rootID + "']}]\n"
	teams := "teams:\n  qa: {roles: [targets/qa]}\n  bobs: {members: ['" + w.bob + "']}\n"
	explain := func(t *testing.T, text, image string) Explanation {
		t.Helper()
		p, err := policy.Load(writeFile(t, t.TempDir(), "policy.yml", text))
		if err != nil {
			t.Fatal(err)
		}
		e, err := Explain(context.Background(), Options{Policy: p, TrustDir: w.dir, Now: yearLater}, image)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := explain(t, "version: 1\ntrust:\n  sources: [evidence]\n"+pins+teams+"rules: [{match: '"+gun+"', require: {teams: [qa, bobs]}}]\n\n", gun+":1.0")
	if e.Decision.Result != policy.Pass || strings.Join(e.Decision.SignedBy, ",") != "qa (evidence 2026-11-24),bobs (evidence 2026-11-24)" {
		t.Fatalf("1.0 a year later: %s %q %s", e.Decision.Result, e.Decision.SignedBy, e.Decision.Reason)
	}
	ev := e.Facts.Evidence
	if ev.TagDigest != w.v10 || len(ev.Claims) != 4 || !ev.Claims[0].Migrated.Equal(w.first) || ev.Claims[0].Role != "targets/qa" ||
		!slices.Contains(ev.Claims[0].KeyIDs, w.bob) || ev.Problem != "" {
		t.Fatalf("facts %+v", ev)
	}
	if e := explain(t, "version: 1\ntrust:\n  sources: [evidence]\n"+pins+"default: {require: signed}\n", gun+":2.0"); e.Decision.Result != policy.Fail ||
		!strings.Contains(e.Decision.Reason, "no evidence that tag 2.0 was signed") {
		t.Errorf("2.0: %s %s", e.Decision.Result, e.Decision.Reason)
	}
	// Notary v1 only: the same trust dir holds nothing that counts.
	if e := explain(t, "version: 1\ntrust:\n"+pins+"default: {require: signed}\n", gun+":1.0"); e.Decision.Result != policy.TrustError || len(e.Facts.Evidence.Claims) != 0 {
		t.Errorf("notary only: %s %s", e.Decision.Result, e.Decision.Reason)
	}
	// A root the pin does not name: refused, naming the file.
	bad := "  pins: [{match: '" + gun + "', root_keys: ['" + strings.Repeat("ab", 32) + "']}]\n"
	if e := explain(t, "version: 1\ntrust:\n  sources: [evidence]\n"+bad+"default: {require: signed}\n", gun+":1.0"); e.Decision.Code != policy.CodeEvidence ||
		!strings.Contains(e.Decision.Reason, w.recordOf1dot0) || !strings.Contains(e.Decision.Reason, "pin") {
		t.Errorf("wrong pin: %s %s", e.Decision.Code, e.Decision.Reason)
	}

	// An altered file: refused with the role and the file.
	rec, _, err := sigcache.LoadEvidence(w.dir, gun, w.v10)
	if err != nil {
		t.Fatal(err)
	}
	for digest, b := range rec.Artifacts[1].Blobs {
		if strings.Contains(string(b), `"1.0"`) {
			rec.Artifacts[1].Blobs[digest] = []byte(strings.Replace(string(b), `"1.0"`, `"1.1"`, 1))
		}
	}
	writeEvidence(t, w.dir, rec)
	e = explain(t, "version: 1\ntrust:\n  sources: [evidence]\n"+pins+"default: {require: signed}\n", gun+":1.0")
	if e.Decision.Result != policy.TrustError || e.Decision.Code != policy.CodeEvidence ||
		!strings.Contains(e.Decision.Reason, w.recordOf1dot0+": ") || !strings.Contains(e.Decision.Reason, "is missing or altered") {
		t.Fatalf("altered: %s %s %s", e.Decision.Result, e.Decision.Code, e.Decision.Reason)
	}
	// An unreadable record is refused too, not taken for "no evidence".
	if err := os.WriteFile(w.recordOf1dot0, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if e := explain(t, "version: 1\ntrust:\n  sources: [evidence]\n"+pins+"default: {require: signed}\n", gun+":1.0"); e.Decision.Code != policy.CodeEvidence {
		t.Errorf("unreadable: %s %s", e.Decision.Code, e.Decision.Reason)
	}
}
