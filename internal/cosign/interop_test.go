package cosign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
)

const (
	teamPassphrase   = "team-key-passphrase"
	cosignPassphrase = "cosign-key-passphrase"
	repo             = "team/app"
	dockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json"
)

// teamKey is a team member's key in trustctl's keystore (as `trustctl key generate qa`
// makes it), with the files cosign reads: the public key as PEM and the private key
// imported into cosign's format.
type teamKey struct {
	signer crypto.Signer
	// public is the key as the trust layer holds it (a delegation's key), the form the
	// gate will verify cosign signatures with.
	public    crypto.PublicKey
	pubPEM    string // path of the PKIX public key
	cosignKey string // path of the key in cosign's encrypted format
}

func newTeamKey(t *testing.T, cosignBin string) teamKey {
	t.Helper()
	env := map[string]string{"NOTARY_DELEGATION_PASSPHRASE": teamPassphrase}
	ks := keys.Open(store.Dir{Root: filepath.Join(t.TempDir(), "trust")}, keys.NewPassphraseSource(func(k string) string { return env[k] }, nil))
	info, tufKey, err := ks.Generate("qa", "")
	if err != nil {
		t.Fatal(err)
	}
	public, err := tufKey.CryptoPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := ks.PrivateKey(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkix, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	k := teamKey{signer: signer, public: public, pubPEM: filepath.Join(dir, "qa.pub"), cosignKey: filepath.Join(dir, "qa.key")}
	writeFile(t, k.pubPEM, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}))
	// A team brings its key to cosign with `cosign import-key-pair` from PKCS #8.
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "qa-plain.pem")
	writeFile(t, plain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	runCosign(t, cosignBin, dir, "import-key-pair", "--key", plain, "--output-key-prefix", "qa")
	return k
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runCosign runs a reference cosign in dir with its home and TUF cache there (never the
// user's), the passphrase from COSIGN_PASSWORD; the flags keep it off the network.
func runCosign(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	out, err := cosignCmd(t, bin, dir, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

func cosignCmd(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"COSIGN_PASSWORD="+cosignPassphrase,
		"HOME="+dir,
		"TUF_ROOT="+filepath.Join(dir, "tuf"),
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// registryFlags let cosign talk to the loopback registry over plain HTTP.
var registryFlags = []string{"--allow-insecure-registry", "--allow-http-registry"}

// verifyArgs verify ref with the public key file pub, offline. cosign v2 fetches
// Sigstore's trusted root over the network unless it is given one, and needs one to
// verify a bundle at all: an empty root serves both with --key.
func verifyArgs(t *testing.T, bin, pub, ref string) []string {
	args := []string{"verify", "--key", pub, "--insecure-ignore-tlog"}
	if filepath.Base(bin) == "cosign2" {
		args = append(args, "--trusted-root", emptyTrustedRoot(t))
	}
	return append(append(args, registryFlags...), ref)
}

func signArgs(key, ref string, extra ...string) []string {
	args := append([]string{"sign", "--key", key, "--tlog-upload=false", "-y"}, registryFlags...)
	return append(append(args, extra...), ref)
}

// pushLegacy writes img as the signature image of digest, as migrate does.
func pushLegacy(t *testing.T, reg *testenv.Registry, digest string, img cosign.SignatureImage) string {
	t.Helper()
	a, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := cosign.SignatureTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	var blobs [][]byte
	for _, b := range a.Blobs {
		blobs = append(blobs, b.Data)
	}
	return reg.PushArtifact(t, repo, tag, a.Descriptor.MediaType, a.Manifest, blobs...)
}

// readLegacy reads the signature image of digest from the registry (empty when none).
func readLegacy(t *testing.T, reg *testenv.Registry, digest string) cosign.SignatureImage {
	t.Helper()
	tag, err := cosign.SignatureTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := reg.Manifest(t, repo, tag)
	if m == nil {
		return cosign.SignatureImage{}
	}
	img, err := cosign.DecodeSignatureImage(m, func(d cosign.Descriptor) ([]byte, error) {
		return reg.Blob(t, repo, d.Digest), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// readBundles returns the contents of the sigstore bundle referrers of digest, from the
// referrers fallback index (the reference registry has no referrers API).
func readBundles(t *testing.T, reg *testenv.Registry, digest string) [][]byte {
	t.Helper()
	tag, err := cosign.ReferrersTag(digest)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := reg.Manifest(t, repo, tag)
	if raw == nil {
		return nil
	}
	idx, err := cosign.ParseIndex(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range idx.Manifests {
		m, _ := reg.Manifest(t, repo, d.Digest)
		layer, ok, err := cosign.BundleLayer(m)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, reg.Blob(t, repo, layer.Digest))
		}
	}
	return out
}

// pushBundle signs digest into a bundle referrer and lists it in the fallback index,
// unless a bundle of the key is there already; it reports whether it wrote.
func pushBundle(t *testing.T, reg *testenv.Registry, image testenv.Image, key crypto.Signer, annotations map[string]string) bool {
	t.Helper()
	if cosign.HasBundle(readBundles(t, reg, image.Digest), key.Public(), image.Digest) {
		return false
	}
	b, err := cosign.NewBundle(key, cosign.Statement{Digest: image.Digest, Annotations: annotations})
	if err != nil {
		t.Fatal(err)
	}
	a, err := cosign.BundleReferrer(b, cosign.Descriptor{MediaType: dockerManifestV2, Size: image.Size, Digest: image.Digest}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var blobs [][]byte
	for _, bl := range a.Blobs {
		blobs = append(blobs, bl.Data)
	}
	reg.PushArtifact(t, repo, a.Descriptor.Digest, a.Descriptor.MediaType, a.Manifest, blobs...)
	tag, _ := cosign.ReferrersTag(image.Digest)
	existing, _ := reg.Manifest(t, repo, tag)
	index, added, err := cosign.WithReferrer(existing, a.Descriptor)
	if err != nil {
		t.Fatal(err)
	}
	if added {
		reg.PushArtifact(t, repo, tag, cosign.MediaTypeOCIIndex, index)
	}
	return true
}

// emptyTrustedRoot is a Sigstore trusted root without authorities or logs, for cosign
// v2.6: it refuses bundles without a trusted root, and the public one comes from
// Sigstore's TUF repository over the network.
func emptyTrustedRoot(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trusted_root.json")
	writeFile(t, p, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`))
	return p
}

// trustctl signs (the legacy format), cosign v2 and v3 verify; a second signing run
// adds nothing.
func TestInteropLegacySignedByTrustctl(t *testing.T) {
	cosign2 := testenv.RefBin(t, "cosign2")
	cosign3 := testenv.RefBin(t, "cosign3")
	reg := testenv.StartRegistry(t)
	image := reg.Push(t, repo, "1.0")
	key := newTeamKey(t, cosign2)
	ref := reg.Host + "/" + repo + ":1.0"

	sign := func() bool {
		sig, err := cosign.NewSignature(key.signer, cosign.Payload{
			DockerReference: ref,
			Digest:          image.Digest,
			Optional:        map[string]string{"gun": reg.Host + "/" + repo, "tag": "1.0", "role": "targets/qa", "migrated": time.Now().UTC().Format(time.RFC3339Nano)},
		})
		if err != nil {
			t.Fatal(err)
		}
		img, added, err := readLegacy(t, reg, image.Digest).Add(sig, key.signer.Public())
		if err != nil {
			t.Fatal(err)
		}
		if added {
			pushLegacy(t, reg, image.Digest, img)
		}
		return added
	}
	if !sign() {
		t.Fatal("first signing added nothing")
	}
	tag, _ := cosign.SignatureTag(image.Digest)
	before, _ := reg.Manifest(t, repo, tag)

	for _, bin := range []string{cosign2, cosign3} {
		out := runCosign(t, bin, t.TempDir(), verifyArgs(t, bin, key.pubPEM, ref)...)
		if !strings.Contains(out, image.Digest) || !strings.Contains(out, `"docker-reference":"`+ref+`"`) {
			t.Errorf("%s verify output lacks the digest or reference:\n%s", filepath.Base(bin), out)
		}
		// Another key is refused: the check is real.
		other := newTeamKey(t, cosign2)
		if out, err := cosignCmd(t, bin, t.TempDir(), verifyArgs(t, bin, other.pubPEM, ref)...); err == nil {
			t.Errorf("%s verify accepted another key:\n%s", filepath.Base(bin), out)
		}
	}

	if sign() {
		t.Error("second signing added a signature")
	}
	if after, _ := reg.Manifest(t, repo, tag); string(after) != string(before) {
		t.Error("second signing changed the signature manifest")
	}
}

// cosign v2 signs with the team key (imported from trustctl's keystore); trustctl's
// verify side accepts the signatures and reports the signed reference: the repository
// alone by default, the tag with --sign-container-identity.
func TestInteropLegacySignedByCosign2(t *testing.T) {
	cosign2 := testenv.RefBin(t, "cosign2")
	reg := testenv.StartRegistry(t)
	image := reg.Push(t, repo, "1.0")
	key := newTeamKey(t, cosign2)
	dir := filepath.Dir(key.cosignKey)
	repoRef := reg.Host + "/" + repo
	runCosign(t, cosign2, dir, signArgs(key.cosignKey, repoRef+"@"+image.Digest)...)
	runCosign(t, cosign2, dir, signArgs(key.cosignKey, repoRef+":1.0", "--sign-container-identity", repoRef+":1.0", "-a", "team=qa")...)

	payloads, err := readLegacy(t, reg, image.Digest).Verified(key.public, image.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) != 2 {
		t.Fatalf("%d signatures verified, want 2", len(payloads))
	}
	for _, p := range payloads {
		if p.Digest != image.Digest {
			t.Errorf("digest %s, want %s", p.Digest, image.Digest)
		}
	}
	if payloads[0].DockerReference != repoRef {
		t.Errorf("default reference %q, want %q", payloads[0].DockerReference, repoRef)
	}
	if err := payloads[0].CheckReference(repoRef + ":1.0"); !errors.Is(err, cosign.ErrNoTagInReference) {
		t.Errorf("repository-only signature for tag 1.0: %v, want ErrNoTagInReference", err)
	}
	if err := payloads[1].CheckReference(repoRef + ":1.0"); err != nil {
		t.Errorf("tag 1.0: %v", err)
	}
	if payloads[1].Optional["team"] != "qa" {
		t.Errorf("optional %v", payloads[1].Optional)
	}

	// The same digest pushed under another tag: the signature names 1.0, not 2.0.
	reg.PushArtifact(t, repo, "2.0", dockerManifestV2, mustManifest(t, reg, "1.0"))
	if err := payloads[1].CheckReference(repoRef + ":2.0"); !errors.Is(err, cosign.ErrReferenceMismatch) {
		t.Errorf("signature over 1.0 checked for 2.0: %v, want ErrReferenceMismatch", err)
	}
	if _, err := readLegacy(t, reg, image.Digest).Verified(newTeamKey(t, cosign2).public, image.Digest); !errors.Is(err, cosign.ErrBadSignature) {
		t.Errorf("another key: %v, want ErrBadSignature", err)
	}

	// trustctl adds its signature to the image cosign wrote: cosign's layers stay, and
	// cosign verifies all three.
	sig, err := cosign.NewSignature(key.signer, cosign.Payload{DockerReference: repoRef + ":1.0", Digest: image.Digest, Optional: map[string]string{"dev.trustctl.notary.role": "targets/qa"}})
	if err != nil {
		t.Fatal(err)
	}
	img, added, err := readLegacy(t, reg, image.Digest).Add(sig, key.public)
	if err != nil {
		t.Fatal(err)
	}
	if added {
		t.Fatal("cosign's signature for 1.0 by the same key was not taken as present")
	}
	other := newTeamKey(t, cosign2)
	img, added, err = img.Add(mustSignature(t, other.signer, repoRef+":1.0", image.Digest), other.public)
	if err != nil || !added {
		t.Fatalf("another team's signature: added=%v, %v", added, err)
	}
	pushLegacy(t, reg, image.Digest, img)
	for _, k := range []teamKey{key, other} {
		out := runCosign(t, cosign2, t.TempDir(), verifyArgs(t, cosign2, k.pubPEM, repoRef+":1.0")...)
		if !strings.Contains(out, image.Digest) {
			t.Errorf("cosign verify output lacks the digest:\n%s", out)
		}
	}
	if got, err := readLegacy(t, reg, image.Digest).Verified(key.public, image.Digest); err != nil || len(got) != 2 {
		t.Errorf("the team's signatures after the add: %d, %v", len(got), err)
	}
}

func mustSignature(t *testing.T, key crypto.Signer, ref, digest string) cosign.Signature {
	t.Helper()
	sig, err := cosign.NewSignature(key, cosign.Payload{DockerReference: ref, Digest: digest})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func mustManifest(t *testing.T, reg *testenv.Registry, ref string) []byte {
	t.Helper()
	m, _ := reg.Manifest(t, repo, ref)
	if m == nil {
		t.Fatalf("no manifest %s", ref)
	}
	return m
}

// trustctl writes the bundle format; cosign v3 (and cosign v2 given a trusted root)
// verify it. It is needed because cosign v3 ignores legacy signatures as soon as an
// image has any bundle: shown here with a bundle by another key.
func TestInteropBundleSignedByTrustctl(t *testing.T) {
	cosign2 := testenv.RefBin(t, "cosign2")
	cosign3 := testenv.RefBin(t, "cosign3")
	reg := testenv.StartRegistry(t)
	image := reg.Push(t, repo, "1.0")
	key := newTeamKey(t, cosign2)
	ref := reg.Host + "/" + repo + ":1.0"

	// A legacy signature by the team, then a bundle by someone else.
	sig, err := cosign.NewSignature(key.signer, cosign.Payload{DockerReference: ref, Digest: image.Digest})
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := cosign.SignatureImage{}.Add(sig, key.signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	pushLegacy(t, reg, image.Digest, img)
	runCosign(t, cosign3, t.TempDir(), verifyArgs(t, cosign3, key.pubPEM, ref)...)
	stranger := newTeamKey(t, cosign2)
	if !pushBundle(t, reg, image, stranger.signer, nil) {
		t.Fatal("no bundle written")
	}
	if out, err := cosignCmd(t, cosign3, t.TempDir(), verifyArgs(t, cosign3, key.pubPEM, ref)...); err == nil {
		t.Fatalf("cosign v3 used the legacy signature although the image has a bundle:\n%s", out)
	}

	if !pushBundle(t, reg, image, key.signer, map[string]string{"dev.trustctl.notary.tag": "1.0"}) {
		t.Fatal("the team's bundle was not written")
	}
	out := runCosign(t, cosign3, t.TempDir(), verifyArgs(t, cosign3, key.pubPEM, ref)...)
	if !strings.Contains(out, image.Digest) {
		t.Errorf("cosign v3 verify output lacks the digest:\n%s", out)
	}
	runCosign(t, cosign2, t.TempDir(), verifyArgs(t, cosign2, key.pubPEM, ref)...)
	if pushBundle(t, reg, image, key.signer, map[string]string{"dev.trustctl.notary.tag": "1.0"}) {
		t.Error("a second run wrote another bundle")
	}
	if n := len(readBundles(t, reg, image.Digest)); n != 2 {
		t.Errorf("%d bundles, want 2", n)
	}
}

// cosign v3 signs with the team key, in its default bundle format and in the legacy
// format; trustctl's verify side accepts both with the right digest.
func TestInteropSignedByCosign3(t *testing.T) {
	cosign3 := testenv.RefBin(t, "cosign3")
	reg := testenv.StartRegistry(t)
	image := reg.Push(t, repo, "1.0")
	key := newTeamKey(t, cosign3)
	dir := filepath.Dir(key.cosignKey)
	repoRef := reg.Host + "/" + repo
	offline := []string{"--use-signing-config=false"}
	runCosign(t, cosign3, dir, signArgs(key.cosignKey, repoRef+":1.0", append(offline, "-a", "team=qa")...)...)
	runCosign(t, cosign3, dir, signArgs(key.cosignKey, repoRef+":1.0", append(offline, "--new-bundle-format=false", "--sign-container-identity", repoRef+":1.0")...)...)

	bundles := readBundles(t, reg, image.Digest)
	if len(bundles) != 1 {
		t.Fatalf("%d bundles, want 1", len(bundles))
	}
	st, err := cosign.VerifyBundle(bundles[0], key.public, image.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Digest != image.Digest || st.Annotations["team"] != "qa" {
		t.Errorf("statement %+v", st)
	}
	if _, err := cosign.VerifyBundle(bundles[0], newTeamKey(t, cosign3).public, image.Digest); !errors.Is(err, cosign.ErrBadSignature) {
		t.Errorf("another key: %v, want ErrBadSignature", err)
	}

	payloads, err := readLegacy(t, reg, image.Digest).Verified(key.public, image.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) != 1 || payloads[0].Digest != image.Digest {
		t.Fatalf("payloads %+v", payloads)
	}
	if err := payloads[0].CheckReference(repoRef + ":1.0"); err != nil {
		t.Error(err)
	}
	if err := payloads[0].CheckReference(repoRef + ":1.1"); !errors.Is(err, cosign.ErrReferenceMismatch) {
		t.Errorf("tag 1.1: %v, want ErrReferenceMismatch", err)
	}
}

// Every key type trustctl signs with is one cosign v2 and v3 verify: RSA (PKCS #1 v1.5)
// and ECDSA on P-384 besides the keystore's P-256.
func TestInteropLegacyKeyTypes(t *testing.T) {
	cosign2 := testenv.RefBin(t, "cosign2")
	cosign3 := testenv.RefBin(t, "cosign3")
	reg := testenv.StartRegistry(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"rsa": rsaKey, "p384": p384} {
		t.Run(name, func(t *testing.T) {
			image := reg.Push(t, repo, name)
			ref := reg.Host + "/" + repo + ":" + name
			sig, err := cosign.NewSignature(key, cosign.Payload{DockerReference: ref, Digest: image.Digest})
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := cosign.SignatureImage{}.Add(sig, key.Public())
			if err != nil {
				t.Fatal(err)
			}
			pushLegacy(t, reg, image.Digest, img)
			pkix, err := x509.MarshalPKIXPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub := filepath.Join(t.TempDir(), "key.pub")
			writeFile(t, pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}))
			for _, bin := range []string{cosign2, cosign3} {
				runCosign(t, bin, t.TempDir(), verifyArgs(t, bin, pub, ref)...)
			}
		})
	}
}
