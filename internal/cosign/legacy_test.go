package cosign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureDigest = "sha256:04519ed1210acde9639d6242311f2f32658c5d4b2dd1ac042bdfe8a16e2bfacb"

func readFixtureFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "cosign2-sig", name))
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readFixtureFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixturePublicKey(t *testing.T) crypto.PublicKey {
	t.Helper()
	block, _ := pem.Decode(readFixture(t, "cosign.pub"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// fixtureImage decodes the signature image cosign v2.6.5 wrote.
func fixtureImage(t *testing.T) SignatureImage {
	t.Helper()
	blobs := map[string][]byte{}
	for _, name := range []string{"config.json", "layer0.json", "layer1.json"} {
		b := readFixture(t, name)
		blobs[Digest(b)] = b
	}
	img, err := DecodeSignatureImage(readFixture(t, "manifest.json"), func(d Descriptor) ([]byte, error) {
		b, ok := blobs[d.Digest]
		if !ok {
			return nil, errors.New("no such blob")
		}
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func newECDSA(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The bytes cosign wrote are the bytes Encode writes: manifest, config and payloads.
func TestEncodeMatchesCosign(t *testing.T) {
	img := fixtureImage(t)
	a, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := readFixture(t, "manifest.json"); !bytes.Equal(a.Manifest, want) {
		t.Errorf("manifest:\n got %s\nwant %s", a.Manifest, want)
	}
	if want := readFixture(t, "config.json"); !bytes.Equal(a.Blobs[0].Data, want) {
		t.Errorf("config:\n got %s\nwant %s", a.Blobs[0].Data, want)
	}
	if a.Descriptor.Digest != Digest(readFixture(t, "manifest.json")) || a.Descriptor.MediaType != MediaTypeOCIManifest {
		t.Errorf("descriptor %+v", a.Descriptor)
	}
	for i, name := range []string{"layer0.json", "layer1.json"} {
		p, err := ParsePayload(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, readFixture(t, name)) {
			t.Errorf("payload %d:\n got %s\nwant %s", i, b, readFixture(t, name))
		}
	}
}

func TestVerifyCosignSignatures(t *testing.T) {
	img := fixtureImage(t)
	got, err := img.Verified(fixturePublicKey(t), fixtureDigest)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d verified, want 2", len(got))
	}
	if got[0].DockerReference != "127.0.0.1:5099/team/app" || got[1].DockerReference != "127.0.0.1:5099/team/app:1.0" {
		t.Errorf("references %q %q", got[0].DockerReference, got[1].DockerReference)
	}
	if got[1].Optional["team"] != "qa" || got[0].Optional != nil {
		t.Errorf("optional %v %v", got[0].Optional, got[1].Optional)
	}
	if err := got[1].CheckReference("127.0.0.1:5099/team/app:1.0"); err != nil {
		t.Errorf("tag 1.0: %v", err)
	}
	if err := got[1].CheckReference("127.0.0.1:5099/team/app:2.0"); !errors.Is(err, ErrReferenceMismatch) {
		t.Errorf("tag 2.0: %v, want ErrReferenceMismatch", err)
	}
	if err := got[0].CheckReference("127.0.0.1:5099/team/app:1.0"); !errors.Is(err, ErrNoTagInReference) {
		t.Errorf("repository-only signature: %v, want ErrNoTagInReference", err)
	}

	other := "sha256:" + strings.Repeat("ab", 32)
	if _, err := img.Verified(fixturePublicKey(t), other); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("other digest: %v, want ErrDigestMismatch", err)
	}
	if _, err := img.Verified(newECDSA(t).Public(), fixtureDigest); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v, want ErrBadSignature", err)
	}
}

func TestAddIsIdempotent(t *testing.T) {
	key := newECDSA(t)
	p := Payload{DockerReference: "127.0.0.1:5099/team/app:1.0", Digest: fixtureDigest, Optional: map[string]string{"migrated": "2026-12-06T20:00:00Z"}}
	sig, err := NewSignature(key, p)
	if err != nil {
		t.Fatal(err)
	}
	img, added, err := fixtureImage(t).Add(sig, key.Public())
	if err != nil || !added || len(img.Signatures) != 3 {
		t.Fatalf("first add: added=%v, %d layers, %v", added, len(img.Signatures), err)
	}
	// A second run signs again (ECDSA signatures are random) at another time.
	p.Optional["migrated"] = "2026-12-07T08:00:00Z"
	again, err := NewSignature(key, p)
	if err != nil {
		t.Fatal(err)
	}
	img2, added, err := img.Add(again, key.Public())
	if err != nil || added || len(img2.Signatures) != 3 {
		t.Fatalf("second add: added=%v, %d layers, %v", added, len(img2.Signatures), err)
	}
	// Another tag of the same digest is another claim.
	p.DockerReference = "127.0.0.1:5099/team/app:latest"
	latest, err := NewSignature(key, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, added, err := img.Add(latest, key.Public()); err != nil || !added {
		t.Fatalf("other tag: added=%v, %v", added, err)
	}
	// The same claim by cosign's own key is not this key's signature.
	if _, added, err := img.Add(sig, fixturePublicKey(t)); err == nil || added {
		t.Fatalf("signature checked against the wrong key: added=%v, %v", added, err)
	}
	a1, _ := img.Encode()
	a2, _ := img2.Encode()
	if !bytes.Equal(a1.Manifest, a2.Manifest) {
		t.Error("a no-op add changed the manifest")
	}
}

func TestKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	msg := []byte("payload")
	for _, tc := range []struct {
		name    string
		key     crypto.Signer
		wantErr string
	}{
		{"ecdsa-p256", newECDSA(t), ""},
		{"rsa-2048", rsaKey, ""},
		{"ecdsa-p384", p384, ""},
		{"ecdsa-p224", p224, "P-224"},
		{"ed25519", edKey, "their own verifier rejects"},
		{"rsa-1024", smallRSA, "1024 bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := Sign(tc.key, msg)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnsupportedKey) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Sign: %v, want ErrUnsupportedKey with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(tc.key.Public(), msg, sig); err != nil {
				t.Fatal(err)
			}
			if err := Verify(tc.key.Public(), []byte("other"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("other message: %v", err)
			}
		})
	}
}

func TestParsePayloadDuplicateKeys(t *testing.T) {
	const crit = `{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"` + fixtureDigest + `"},"type":"cosign container image signature"}`
	for _, tc := range []struct {
		name    string
		payload string
		ok      bool
	}{
		{"plain", `{"critical":` + crit + `,"optional":null}`, true},
		{"optional keys differing in case are two keys", `{"critical":` + crit + `,"optional":{"Team":"a","team":"b"}}`, true},
		{"duplicate critical", `{"critical":` + crit + `,"critical":` + crit + `}`, false},
		{"critical in another case", `{"critical":` + crit + `,"Critical":` + crit + `}`, false},
		{"Kelvin sign folds to k", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"` + fixtureDigest + `"},"type":"cosign container image signature","typeK":"","type\u212a":""}}`, false},
		{"duplicate optional key", `{"critical":` + crit + `,"optional":{"a":"1","a":"2"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePayload([]byte(tc.payload))
			if (err == nil) != tc.ok {
				t.Fatalf("ParsePayload: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
