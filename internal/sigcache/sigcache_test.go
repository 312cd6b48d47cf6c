package sigcache

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// fakeRegistry serves manifests by tag or digest and blobs from memory; the real
// registry and cosign are in verify_sources.txtar.
type fakeRegistry struct {
	manifests map[string][]byte // repo/ref
	blobs     map[string][]byte // digest
	tags      map[string]string // tag → digest
	requests  int
}

func newFake() *fakeRegistry {
	return &fakeRegistry{manifests: map[string][]byte{}, blobs: map[string][]byte{}, tags: map[string]string{}}
}

func (f *fakeRegistry) Resolve(_ context.Context, repo, ref string) (registry.Descriptor, error) {
	f.requests++
	d, ok := f.tags[ref]
	if !ok {
		return registry.Descriptor{}, registry.ErrNotFound
	}
	return registry.Descriptor{Digest: d}, nil
}

func (f *fakeRegistry) Manifest(_ context.Context, repo, ref string, _ int64, _ ...string) ([]byte, registry.Descriptor, error) {
	f.requests++
	b, ok := f.manifests[ref]
	if !ok {
		return nil, registry.Descriptor{}, fmt.Errorf("GET %s: %w", ref, registry.ErrNotFound)
	}
	return b, registry.Descriptor{Digest: cosign.Digest(b)}, nil
}

func (f *fakeRegistry) Blob(_ context.Context, repo string, d registry.Descriptor) ([]byte, error) {
	f.requests++
	b, ok := f.blobs[d.Digest]
	if !ok || int64(len(b)) > d.Size {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, registry.ErrNotFound)
	}
	return b, nil
}

// ReferrersIndex is a registry without the referrers API: the fallback tag holds them.
func (f *fakeRegistry) ReferrersIndex(ctx context.Context, repo, digest string) ([]byte, bool, error) {
	tag, _ := cosign.ReferrersTag(digest)
	b, _, err := f.Manifest(ctx, repo, tag, registry.MaxManifest)
	return b, false, err
}

func (f *fakeRegistry) put(ref string, a cosign.Artifact) {
	f.manifests[ref] = a.Manifest
	f.manifests[a.Descriptor.Digest] = a.Manifest
	for _, b := range a.Blobs {
		f.blobs[b.Descriptor.Digest] = b.Data
	}
}

const gun = "r.io/team/app"

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signed is a registry holding, for digestA, a legacy signature for tag 1 and a
// bundle with trustctl's tag annotations, both by key.
func signed(t testing.TB, key crypto.Signer) *fakeRegistry {
	t.Helper()
	f := newFake()
	f.tags["1"] = digestA
	sig, err := cosign.NewSignature(key, cosign.Payload{DockerReference: gun + ":1", Digest: digestA})
	if err != nil {
		t.Fatal(err)
	}
	a, err := cosign.SignatureImage{Signatures: []cosign.Signature{sig}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sigTag, _ := cosign.SignatureTag(digestA)
	f.put(sigTag, a)
	b, err := cosign.NewBundle(key, cosign.Statement{Digest: digestA, Annotations: map[string]string{AnnotationNotaryGUN: gun, AnnotationNotaryTag: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := cosign.BundleReferrer(b, cosign.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 10, Digest: digestA}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.put(ref.Descriptor.Digest, ref)
	index, _, err := cosign.WithReferrer(nil, ref.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	refTag, _ := cosign.ReferrersTag(digestA)
	f.manifests[refTag] = index
	return f
}

func TestFetchAndVerify(t *testing.T) {
	key, other := newKey(t), newKey(t)
	f := signed(t, key)
	d := store.Dir{Root: t.TempDir()}
	n, err := FetchRepository(context.Background(), d, f, Request{GUN: gun, Repo: "team/app", Tags: []string{"1"}, Digests: []string{digestB}})
	if err != nil {
		t.Fatal(err)
	}
	if n != (Fetched{Digests: 2, Signatures: 1, Bundles: 1}) {
		t.Errorf("fetched %+v", n)
	}
	tags, err := Tags(d, gun)
	if err != nil || tags["1"] != digestA {
		t.Fatalf("tags %v, %v", tags, err)
	}
	for _, path := range []string{filepath.Join(d.Root, "cosign", gun, "tags.json"), filepath.Join(d.Root, "cosign", gun, "sha256-"+strings.Repeat("a", 64)+".json")} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", path, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(d.Root, "cosign", gun)); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode())
	}

	rec, err := Load(d, gun, digestA)
	if err != nil {
		t.Fatal(err)
	}
	keys := []Key{{IDs: []string{"other"}, Public: other.Public()}, {IDs: []string{"team", "team-cert"}, Public: key.Public()}}
	sigs, err := rec.Verified(keys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Signature{
		{Format: "legacy", KeyIDs: []string{"team", "team-cert"}, Reference: gun + ":1"},
		{Format: "bundle", KeyIDs: []string{"team", "team-cert"}, Reference: gun + ":1"},
	}
	if fmt.Sprint(sigs) != fmt.Sprint(want) {
		t.Errorf("verified %+v, want %+v", sigs, want)
	}
	if sigs, err := rec.Verified(keys[:1]); err != nil || len(sigs) != 0 {
		t.Errorf("another key verified %+v, %v", sigs, err)
	}
	// An image without signatures has a record saying so.
	rec, err = Load(d, gun, digestB)
	if err != nil || rec.Signatures != nil || len(rec.Bundles) != 0 {
		t.Errorf("unsigned digest: %+v, %v", rec, err)
	}
	if _, err := Load(d, gun, "sha256:"+strings.Repeat("c", 64)); !errors.Is(err, ErrNotFetched) {
		t.Errorf("digest never fetched: %v, want ErrNotFetched", err)
	}
}

// A record altered in the trust dir is an error, never a signature.
func TestTamperedRecord(t *testing.T) {
	key := newKey(t)
	d := store.Dir{Root: t.TempDir()}
	if _, err := Fetch(context.Background(), d, gun, signed(t, key), "team/app", digestA); err != nil {
		t.Fatal(err)
	}
	path, _ := recordPath(d, gun, digestA)
	b, _ := os.ReadFile(path)
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	for digest, blob := range rec.Signatures.Blobs {
		rec.Signatures.Blobs[digest] = append([]byte(nil), blob...)
		rec.Signatures.Blobs[digest][0] ^= 1
	}
	keys := []Key{{IDs: []string{"team"}, Public: key.Public()}}
	if _, err := rec.Verified(keys); err == nil {
		t.Error("altered payload verified")
	}
	b, _ = json.Marshal(Record{Digest: digestB})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(d, gun, digestA); err == nil || !strings.Contains(err.Error(), "holds the signatures of "+digestB) {
		t.Errorf("record of another digest: %v", err)
	}
}

// What a registry sends is bounded, and a failed fetch leaves nothing behind.
func TestFetchBounds(t *testing.T) {
	key := newKey(t)
	f := signed(t, key)
	sigTag, _ := cosign.SignatureTag(digestA)
	var m cosign.Manifest
	if err := json.Unmarshal(f.manifests[sigTag], &m); err != nil {
		t.Fatal(err)
	}
	m.Layers[0].Size = cosign.MaxPayload + 1
	f.manifests[sigTag], _ = json.Marshal(m)
	d := store.Dir{Root: t.TempDir()}
	_, err := Fetch(context.Background(), d, gun, f, "team/app", digestA)
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("oversized layer: %v", err)
	}
	if _, err := Load(d, gun, digestA); !errors.Is(err, ErrNotFetched) {
		t.Errorf("a failed fetch left a record: %v", err)
	}
	// Many layers, each within bounds, still cannot exceed the record's budget; the
	// budget is spent before the download.
	m.Layers[0].Size = cosign.MaxPayload
	for len(m.Layers) <= maxRecord/cosign.MaxPayload {
		m.Layers = append(m.Layers, m.Layers[0])
		m.Layers[len(m.Layers)-1].Digest = fmt.Sprintf("sha256:%064x", len(m.Layers))
	}
	f.manifests[sigTag], _ = json.Marshal(m)
	f.requests = 0
	_, err = Fetch(context.Background(), d, gun, f, "team/app", digestA)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d bytes", maxRecord)) {
		t.Fatalf("record over budget: %v", err)
	}
	if f.requests != 1 {
		t.Errorf("%d requests for a record over budget, want the manifest's only", f.requests)
	}
	if _, err := Fetch(context.Background(), d, "../escape", f, "x", digestA); err == nil {
		t.Error("a name leaving the trust dir was accepted")
	}
}

// FuzzRecord: a record is registry bytes kept as received; reading and verifying one
// never panics, and nothing in it verifies without the key.
func FuzzRecord(f *testing.F) {
	key := newKey(f)
	d := store.Dir{Root: f.TempDir()}
	if _, err := Fetch(context.Background(), d, gun, signed(f, key), "team/app", digestA); err != nil {
		f.Fatal(err)
	}
	path, _ := recordPath(d, gun, digestA)
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add([]byte(`{"digest":"` + digestA + `","bundles":[{"manifest":"e30="}]}`))
	other := newKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec Record
		if json.Unmarshal(data, &rec) != nil {
			return
		}
		rec.Digest = digestA
		sigs, err := rec.Verified([]Key{{IDs: []string{"other"}, Public: other.Public()}})
		if err == nil && len(sigs) != 0 {
			t.Fatalf("a key that signed nothing verified %+v", sigs)
		}
		_, _ = rec.Verified([]Key{{IDs: []string{"team"}, Public: key.Public()}})
	})
}
