package cosign

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePayload: a payload read from a registry never panics, and one that parses
// encodes to bytes that parse to the same payload.
func FuzzParsePayload(f *testing.F) {
	for _, name := range []string{"layer0.json", "layer1.json"} {
		b, err := readFixtureFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"critical":{"type":"cosign container image signature","Type":"x"}}`))
	f.Add([]byte(`{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"type":"cosign container image signature"},"optional":{"n":1,"o":{"a":[1]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("parsed payload does not encode: %v", err)
		}
		q, err := ParsePayload(out)
		if err != nil {
			t.Fatalf("encoded payload does not parse: %v\n%s", err, out)
		}
		again, _ := q.Marshal()
		if !bytes.Equal(out, again) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, again)
		}
	})
}

// FuzzDecodeSignatureImage: any manifest (with its blobs served as given) decodes or
// fails cleanly, and a decoded image encodes.
func FuzzDecodeSignatureImage(f *testing.F) {
	m, err := readFixtureFile("manifest.json")
	if err != nil {
		f.Fatal(err)
	}
	l0, _ := readFixtureFile("layer0.json")
	f.Add(m, l0)
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","size":-1,"digest":"sha256:"}}`), []byte{})
	f.Fuzz(func(t *testing.T, manifest, blob []byte) {
		img, err := DecodeSignatureImage(manifest, func(Descriptor) ([]byte, error) { return blob, nil })
		if err != nil || len(img.Signatures) == 0 {
			return
		}
		if _, err := img.Encode(); err != nil {
			t.Fatalf("decoded image does not encode: %v", err)
		}
		for _, s := range img.Signatures {
			_, _ = s.Verify(newECDSA(t).Public(), fixtureDigest)
		}
	})
}

// FuzzVerifyBundle: a bundle read from a registry never panics and verifies only with
// the key that signed it.
func FuzzVerifyBundle(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "cosign3-bundle", "bundle.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":""}]}}`))
	other := newECDSA(f).Public()
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := VerifyBundle(b, other, fixtureDigest); err == nil {
			t.Fatal("a bundle verified with a key that never signed")
		}
	})
}

// FuzzReferrers: referrer manifests and fallback indexes from a registry never panic,
// and an index that parses takes a new referrer once.
func FuzzReferrers(f *testing.F) {
	for _, name := range []string{"manifest.json", "index.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "cosign3-bundle", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	d := Descriptor{MediaType: MediaTypeOCIManifest, Size: 1, Digest: fixtureDigest, ArtifactType: MediaTypeBundle}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = BundleLayer(b)
		if _, err := ParseIndex(b); err != nil {
			return
		}
		idx, _, err := WithReferrer(b, d)
		if err != nil {
			t.Fatalf("parsed index does not take a referrer: %v", err)
		}
		if _, added, err := WithReferrer(idx, d); err != nil || added {
			t.Fatalf("second add: added=%v, %v", added, err)
		}
	})
}
