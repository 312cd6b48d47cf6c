package sigcache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/trust/store"
)

const evidenceType = "application/vnd.example.evidence+json"

// withEvidence adds to f an evidence referrer of digest with the given layers, and
// returns the artifact.
func withEvidence(t *testing.T, f *fakeRegistry, digest string, layers ...[]byte) cosign.Artifact {
	t.Helper()
	m := cosign.Manifest{SchemaVersion: 2, MediaType: cosign.MediaTypeOCIManifest, ArtifactType: evidenceType,
		Config:  cosign.Descriptor{MediaType: cosign.MediaTypeOCIEmpty, Size: 2, Digest: cosign.Digest([]byte("{}"))},
		Subject: &cosign.Descriptor{MediaType: cosign.MediaTypeOCIManifest, Size: 10, Digest: digest}}
	a := cosign.Artifact{}
	for _, l := range layers {
		d := cosign.Descriptor{MediaType: "application/octet-stream", Size: int64(len(l)), Digest: cosign.Digest(l)}
		m.Layers = append(m.Layers, d)
		a.Blobs = append(a.Blobs, cosign.Blob{Descriptor: d, Data: l})
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	a.Manifest = b
	a.Descriptor = cosign.Descriptor{MediaType: cosign.MediaTypeOCIManifest, Size: int64(len(b)), Digest: cosign.Digest(b), ArtifactType: evidenceType}
	f.put(a.Descriptor.Digest, a)
	tag, _ := cosign.ReferrersTag(digest)
	index, _, err := cosign.WithReferrer(f.manifests[tag], a.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	f.manifests[tag] = index
	return a
}

// snapshot is every file under root with its mode and bytes.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var out strings.Builder
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		b, _ := os.ReadFile(path)
		out.WriteString(path + " " + info.Mode().String() + " " + string(b) + "\n")
		return nil
	})
	return out.String()
}

func TestFetchEvidence(t *testing.T) {
	f := signed(t, newKey(t)) // a bundle referrer of digestA, which evidence fetch leaves out
	a := withEvidence(t, f, digestA, []byte(`{"signed":"root"}`), []byte(`{"signed":"targets"}`))
	d := store.Dir{Root: t.TempDir()}
	req := Request{GUN: gun, Repo: "team/app", Tags: []string{"1"}, Digests: []string{digestB}}
	n, arts, err := FetchEvidence(context.Background(), d, f, req, evidenceType)
	if err != nil || n != 2 || arts != 1 {
		t.Fatalf("fetch: %d digests, %d artifacts, %v", n, arts, err)
	}
	rec, path, err := LoadEvidence(d, gun, digestA)
	if err != nil || len(rec.Artifacts) != 1 || !bytes.Equal(rec.Artifacts[0].Manifest, a.Manifest) || len(rec.Artifacts[0].Blobs) != 2 {
		t.Fatalf("record of %s: %+v, %v", digestA, rec, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v", path, info.Mode(), err)
	}
	if info, err := os.Stat(filepath.Dir(path)); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v", filepath.Dir(path), info.Mode(), err)
	}
	// digestB has no evidence: a record saying so, told apart from a digest never fetched
	if rec, _, err := LoadEvidence(d, gun, digestB); err != nil || len(rec.Artifacts) != 0 {
		t.Errorf("record of %s: %+v, %v", digestB, rec, err)
	}
	if _, _, err := LoadEvidence(d, gun, "sha256:"+strings.Repeat("c", 64)); !errors.Is(err, ErrEvidenceNotFetched) {
		t.Errorf("never fetched: %v", err)
	}
	if tags, err := Tags(d, gun); err != nil || tags["1"] != digestA {
		t.Errorf("tags %v, %v", tags, err)
	}
}

// A fetch that fails anywhere (a blob gone, a layer over the bound, too many
// artifacts) leaves the trust dir byte-identical: everything is downloaded first.
func TestFetchEvidenceFailsWithoutWriting(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeRegistry)
		want  string
	}{
		{"a blob gone", func(f *fakeRegistry) {
			a := withEvidence(t, f, digestB, []byte(`{"signed":"x"}`))
			delete(f.blobs, a.Blobs[0].Descriptor.Digest)
		}, "not found"},
		{"a layer over the bound", func(f *fakeRegistry) {
			a := withEvidence(t, f, digestB, []byte(`{"signed":"x"}`))
			var m cosign.Manifest
			json.Unmarshal(a.Manifest, &m)
			m.Layers[0].Size = maxEvidenceFile + 1
			b, _ := json.Marshal(m)
			f.manifests[a.Descriptor.Digest] = b
		}, "at most"},
		{"too many artifacts", func(f *fakeRegistry) {
			for i := range maxEvidenceArtifacts + 1 {
				withEvidence(t, f, digestB, []byte(`{"signed":`+string(rune('0'+i%10))+strings.Repeat(" ", i)+`}`))
			}
		}, "more than 32 evidence artifacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := signed(t, newKey(t))
			withEvidence(t, f, digestA, []byte(`{"signed":"root"}`))
			d := store.Dir{Root: t.TempDir()}
			req := Request{GUN: gun, Repo: "team/app", Tags: []string{"1"}}
			if _, _, err := FetchEvidence(context.Background(), d, f, req, evidenceType); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, d.Root)
			tt.setup(f)
			req.Digests = []string{digestB}
			_, _, err := FetchEvidence(context.Background(), d, f, req, evidenceType)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if after := snapshot(t, d.Root); after != before {
				t.Errorf("the trust dir changed:\n%s\nwas\n%s", after, before)
			}
		})
	}
}
