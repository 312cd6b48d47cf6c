package cosign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readBundleFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cosign3-bundle", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The image of the fixtures, as the registry serves it.
var fixtureSubject = Descriptor{MediaType: MediaTypeOCIManifest, Size: 395, Digest: fixtureDigest}

func TestVerifyCosign3Bundle(t *testing.T) {
	b := readBundleFixture(t, "bundle.json")
	st, err := VerifyBundle(b, fixturePublicKey(t), fixtureDigest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Digest != fixtureDigest || len(st.Annotations) != 0 {
		t.Errorf("statement %+v", st)
	}
	other := "sha256:" + strings.Repeat("cd", 32)
	if _, err := VerifyBundle(b, fixturePublicKey(t), other); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("other digest: %v, want ErrDigestMismatch", err)
	}
	if _, err := VerifyBundle(b, newECDSA(t).Public(), fixtureDigest); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v, want ErrBadSignature", err)
	}
	if !HasBundle([][]byte{[]byte("{}"), b}, fixturePublicKey(t), fixtureDigest) {
		t.Error("HasBundle misses cosign's bundle")
	}
	if HasBundle([][]byte{b}, newECDSA(t).Public(), fixtureDigest) {
		t.Error("HasBundle accepts another key's bundle")
	}
}

// The referrer manifest and the fallback index are the bytes cosign v3.1.3 wrote.
func TestBundleReferrerMatchesCosign(t *testing.T) {
	created := time.Date(2026, 12, 6, 19, 56, 57, 0, time.UTC)
	a, err := BundleReferrer(readBundleFixture(t, "bundle.json"), fixtureSubject, created)
	if err != nil {
		t.Fatal(err)
	}
	if want := readBundleFixture(t, "manifest.json"); !bytes.Equal(a.Manifest, want) {
		t.Errorf("manifest:\n got %s\nwant %s", a.Manifest, want)
	}
	layer, ok, err := BundleLayer(a.Manifest)
	if err != nil || !ok || layer.Digest != Digest(readBundleFixture(t, "bundle.json")) {
		t.Errorf("BundleLayer: %+v %v %v", layer, ok, err)
	}
	if _, ok, err := BundleLayer(readFixture(t, "manifest.json")); ok || err != nil {
		t.Errorf("a legacy signature manifest is not a bundle referrer: %v %v", ok, err)
	}

	index, added, err := WithReferrer(nil, a.Descriptor)
	if err != nil || !added {
		t.Fatalf("WithReferrer: %v %v", added, err)
	}
	if want := readBundleFixture(t, "index.json"); !bytes.Equal(index, want) {
		t.Errorf("index:\n got %s\nwant %s", index, want)
	}
	again, added, err := WithReferrer(index, a.Descriptor)
	if err != nil || added || !bytes.Equal(again, index) {
		t.Errorf("adding the same referrer again: added=%v, %v", added, err)
	}
	tag, err := ReferrersTag(fixtureDigest)
	if err != nil || tag != "sha256-"+strings.TrimPrefix(fixtureDigest, "sha256:") {
		t.Errorf("ReferrersTag %q %v", tag, err)
	}
}

func TestNewBundle(t *testing.T) {
	key := newECDSA(t)
	st := Statement{Digest: fixtureDigest, Annotations: map[string]string{"dev.trustctl.notary.tag": "1.0"}}
	b, err := NewBundle(key, st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyBundle(b, key.Public(), fixtureDigest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Annotations["dev.trustctl.notary.tag"] != "1.0" {
		t.Errorf("annotations %v", got.Annotations)
	}
	// The shape cosign writes: key hint, no tlog entries, statement with annotations.
	var wb map[string]any
	if err := json.Unmarshal(b, &wb); err != nil {
		t.Fatal(err)
	}
	vm := wb["verificationMaterial"].(map[string]any)
	if _, ok := vm["tlogEntries"]; ok {
		t.Error("tlogEntries written; cosign omits them")
	}
	if hint, _ := keyHint(key.Public()); vm["publicKey"].(map[string]any)["hint"] != hint {
		t.Error("wrong key hint")
	}

	// A signed statement of another predicate (an attestation) is not a signature.
	env := wb["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	other := bytes.Replace(payload, []byte(PredicateTypeCosignSign), []byte("https://spdx.dev/Document"), 1)
	sig, err := Sign(key, pae(PayloadTypeInToto, other))
	if err != nil {
		t.Fatal(err)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(other)
	env["signatures"] = []any{map[string]any{"sig": sig}}
	attestation, _ := json.Marshal(wb)
	if _, err := VerifyBundle(attestation, key.Public(), fixtureDigest); err == nil || !strings.Contains(err.Error(), "not a cosign signature") {
		t.Errorf("SBOM attestation: %v", err)
	}
	if _, err := NewBundle(key, Statement{Digest: "sha256:short"}); err == nil {
		t.Error("bad digest accepted")
	}
}
