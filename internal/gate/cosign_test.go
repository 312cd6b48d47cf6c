package gate

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/store"
)

func TestBinding(t *testing.T) {
	tagged := policy.Image{Repo: "docker.io/library/nginx", Tag: "1.27"}
	digestOnly := policy.Image{Repo: "docker.io/library/nginx", Digest: "sha256:" + strings.Repeat("a", 64)}
	tests := []struct {
		img    policy.Image
		signed string
		want   policy.Binding
	}{
		{tagged, "index.docker.io/library/nginx:1.27", policy.BindsTag},
		{tagged, "nginx:1.27", policy.BindsTag},
		{tagged, "index.docker.io/library/nginx", policy.BindsRepository},
		{tagged, "", policy.BindsRepository},
		{tagged, "nginx:1.26", policy.BindsOther},
		{tagged, "docker.io/library/nginx-evil:1.27", policy.BindsOther},
		{tagged, "nginx@" + digestOnly.Digest, policy.BindsOther},
		{tagged, "not a reference", policy.BindsOther},
		{digestOnly, "nginx:1.26", policy.BindsTag},
		{digestOnly, "nginx", policy.BindsRepository},
		{digestOnly, "redis:7", policy.BindsOther},
	}
	for _, tt := range tests {
		if got := binding(tt.img, tt.signed); got != tt.want {
			t.Errorf("binding(%s, %q) = %d, want %d", tt.img, tt.signed, got, tt.want)
		}
	}
}

// cosignWorld adds cosign signatures to the trust dir of newWorld: ops signs 1.0 of the
// notary repository, and new:1 of a repository without Notary v1 data; new:2 points
// at a digest whose only signature names new:1.
type cosignWorld struct {
	world
	keyFile string
}

func newCosignWorld(t *testing.T) cosignWorld {
	t.Helper()
	w := newWorld(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, t.TempDir(), "ops.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	newRepo := "registry.example.com/team/new"
	writeRecord(t, w.dir, gun, w.v10, key, gun+":1.0")
	writeRecord(t, w.dir, newRepo, w.v11, key, newRepo+":1")
	writeRecord(t, w.dir, newRepo, w.v2, key, newRepo+":1")
	tags, _ := json.Marshal(map[string]any{"tags": map[string]string{"1": w.v11, "2": w.v2}})
	if err := store.WriteFileAtomic(filepath.Join(w.dir.Root, "cosign", newRepo, "tags.json"), tags); err != nil {
		t.Fatal(err)
	}
	return cosignWorld{world: w, keyFile: keyFile}
}

// writeRecord keeps a legacy signature by key over digest, naming ref, as fetch would.
func writeRecord(t *testing.T, dir store.Dir, repo, digest string, key crypto.Signer, ref string) {
	t.Helper()
	sig, err := cosign.NewSignature(key, cosign.Payload{DockerReference: ref, Digest: digest})
	if err != nil {
		t.Fatal(err)
	}
	a, err := cosign.SignatureImage{Signatures: []cosign.Signature{sig}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	rec := sigcache.Record{Digest: digest, Signatures: &sigcache.Artifact{Manifest: a.Manifest, Blobs: map[string][]byte{}}}
	for _, b := range a.Blobs {
		rec.Signatures.Blobs[b.Descriptor.Digest] = b.Data
	}
	out, _ := json.Marshal(rec)
	tag, _ := cosign.ReferrersTag(digest)
	if err := store.WriteFileAtomic(filepath.Join(dir.Root, "cosign", repo, tag+".json"), out); err != nil {
		t.Fatal(err)
	}
}

func TestRunCosign(t *testing.T) {
	w := newCosignWorld(t)
	dir := t.TempDir()
	stackFile := writeFile(t, dir, "stack.yml", `services:
  notary: {image: registry.example.com/team/app:1.0}
  cosign: {image: registry.example.com/team/new:1}
  other-tag: {image: registry.example.com/team/new:2}
  unfetched: {image: registry.example.com/team/new:3}
`)
	policyText := func(sources string) string {
		return fmt.Sprintf("version: 1\ntrust: {sources: %s}\nteams:\n  qa: {roles: [targets/qa]}\n  ops: {keys: [%s]}\nrules:\n  - {match: registry.example.com/team/**, require: {teams: [ops]}}\n", sources, w.keyFile)
	}
	run := func(sources string) []policy.Decision {
		t.Helper()
		pol, err := policy.Parse(filepath.Join(dir, "policy.yml"), []byte(policyText(sources)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Run(context.Background(), Options{Files: []string{stackFile}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: w.dir, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := run("[notary, cosign]")
	// in the order of the stack file
	want := []struct {
		result policy.Result
		code   policy.Code
		reason string
	}{
		{policy.Warn, policy.CodeSigned, "tag 1.0 is signed with " + w.v10[:19] + "… in targets/releases, signed by team ops (cosign); root not pinned"},
		{policy.Pass, policy.CodeSigned, "tag 1 is signed with " + w.v11[:19] + "…, signed by team ops (cosign)"},
		{policy.Fail, policy.CodeTagMismatch, "cosign signature by ops (cosign) on " + w.v2[:19] + "… names registry.example.com/team/new:1, not registry.example.com/team/new:2"},
		{policy.Fail, policy.CodeUnsigned, "tag 3 has no Notary v1 release and no registry digest in the trust dir"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d decisions, want %d", len(got), len(want))
	}
	for i, d := range got {
		if d.Result != want[i].result || d.Code != want[i].code || !strings.HasPrefix(d.Reason, want[i].reason) {
			t.Errorf("%s: %s/%s %q, want %s/%s %q", d.Source.Service, d.Result, d.Code, d.Reason, want[i].result, want[i].code, want[i].reason)
		}
	}
	// Same inputs, same decisions.
	if again := run("[notary, cosign]"); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Error("a second run decided differently")
	}
	// Without cosign in trust.sources the signatures count for nothing.
	for _, d := range run("[notary]") {
		if d.Result == policy.Pass {
			t.Errorf("%s passes without cosign as a source: %s", d.Source.Service, d.Reason)
		}
	}
}
