package cosign

import (
	"bytes"
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
