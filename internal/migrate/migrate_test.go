package migrate_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

const (
	name = "team/app"
	qa   = "targets/qa"
)

// fixture is a repository whose team role qa holds tags of images pushed to a real
// registry, and a trust dir holding the team's private key.
type fixture struct {
	reg    *testenv.Registry
	gun    string
	repo   *tuftest.Repo
	trust  store.Dir
	keys   *keys.Store
	qaKey  crypto.Signer
	images map[string]testenv.Image
	// host is where the registry client goes (a proxy in front of reg, or reg).
	host string
}

func newFixture(t *testing.T, teamKey crypto.Signer, tags ...string) *fixture {
	t.Helper()
	return newFixtureAt(t, time.Now(), teamKey, tags...)
}

// newFixtureAt signs the trust data at created (expiry counts from then).
func newFixtureAt(t *testing.T, created time.Time, teamKey crypto.Signer, tags ...string) *fixture {
	t.Helper()
	reg := testenv.StartRegistry(t)
	f := &fixture{reg: reg, gun: reg.Host + "/" + name, images: map[string]testenv.Image{}, host: reg.Host, qaKey: teamKey}
	f.repo = tuftest.New(t, f.gun, created)
	f.repo.Delegate(tuf.RoleTargets, qa, []string{""}, signer(t, teamKey))
	for _, tag := range tags {
		img := reg.Push(t, name, tag)
		f.images[tag] = img
		f.addTarget(t, tag, img)
	}
	f.repo.Publish(t)
	f.trust = f.repo.TrustDir(t)
	env := map[string]string{"NOTARY_DELEGATION_PASSPHRASE": "team passphrase"}
	f.keys = keys.Open(f.trust, keys.NewPassphraseSource(func(k string) string { return env[k] }, nil))
	importKey(t, f.keys, teamKey, "qa")
	return f
}

func (f *fixture) addTarget(t *testing.T, tag string, img testenv.Image) {
	t.Helper()
	sum, err := hex.DecodeString(strings.TrimPrefix(img.Digest, "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	f.repo.Targets[qa].Targets[tag] = tuf.FileMeta{Length: img.Size, Hashes: tuf.Hashes{tuf.HashSHA256: sum}}
}

func signer(t *testing.T, key crypto.Signer) *tuf.Signer {
	t.Helper()
	pub, err := tuf.PublicKeyFromCrypto(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	s, err := tuf.NewSigner(key, pub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importKey(t *testing.T, ks *keys.Store, key crypto.Signer, role string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Import(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "test", role, "", false); err != nil {
		t.Fatal(err)
	}
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) options(format migrate.Format) migrate.Options {
	return migrate.Options{
		Repositories: []string{f.gun},
		TrustDir:     f.trust,
		Keys:         f.keys,
		Format:       format,
		Registry: func(gun string) (*registry.Client, string, error) {
			c, err := registry.New(f.host, registry.Options{Timeout: 20 * time.Second})
			return c, name, err
		},
	}
}

func (f *fixture) sigManifest(t *testing.T, tag string) []byte {
	t.Helper()
	st, err := cosign.SignatureTag(f.images[tag].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.reg.Manifest(t, name, st)
	return m
}

func outcomes(res migrate.Result) string {
	var b strings.Builder
	for _, it := range res.Items {
		b.WriteString(it.Tag + " " + it.Role + " " + string(it.Outcome) + "\n")
	}
	return b.String()
}

// TestLegacy: a dry run writes nothing; the run writes one signature per tag that the
// team key verifies, with the Notary record as provenance; a run again changes no byte.
func TestLegacy(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0", "2.0")
	ctx := context.Background()
	opts := f.options(migrate.Legacy)
	opts.DryRun = true
	res, err := migrate.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "1.0 targets/qa would migrate\n2.0 targets/qa would migrate\n"; got != want {
		t.Fatalf("dry run:\n%s\nwant\n%s", got, want)
	}
	if m := f.sigManifest(t, "1.0"); m != nil {
		t.Fatalf("the dry run wrote a signature image: %s", m)
	}

	opts.DryRun = false
	if res, err = migrate.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "1.0 targets/qa migrated\n2.0 targets/qa migrated\n"; got != want {
		t.Fatalf("run:\n%s\nwant\n%s", got, want)
	}
	first := map[string][]byte{}
	for tag, img := range f.images {
		m := f.sigManifest(t, tag)
		first[tag] = m
		si, err := cosign.DecodeSignatureImage(m, func(d cosign.Descriptor) ([]byte, error) { return f.reg.Blob(t, name, d.Digest), nil })
		if err != nil {
			t.Fatal(err)
		}
		ps, err := si.Verified(f.qaKey.Public(), img.Digest)
		if err != nil || len(ps) != 1 {
			t.Fatalf("%s: %d signatures verify: %v", tag, len(ps), err)
		}
		p := ps[0]
		if err := p.CheckReference(f.gun + ":" + tag); err != nil {
			t.Errorf("%s: %v", tag, err)
		}
		role := f.repo.Files[qa]
		for k, want := range map[string]string{
			migrate.KeyGUN: f.gun, migrate.KeyTag: tag, migrate.KeyRole: qa,
			migrate.KeyTargetPrefix + "sha256": strings.TrimPrefix(img.Digest, "sha256:"),
			migrate.KeyTargetLength:            strconv.FormatInt(img.Size, 10),
			migrate.KeyRoleVersion:             "1",
			migrate.KeyRoleSHA256:              hexSum(role),
			migrate.KeyRootSHA256:              hexSum(f.repo.Files[tuf.RoleRoot]),
		} {
			if p.Optional[k] != want {
				t.Errorf("%s: optional %s = %q, want %q", tag, k, p.Optional[k], want)
			}
		}
		if _, err := time.Parse(time.RFC3339, p.Optional[migrate.KeyMigrated]); err != nil {
			t.Errorf("%s: time of migration: %v", tag, err)
		}
	}

	if res, err = migrate.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "1.0 targets/qa present\n2.0 targets/qa present\n"; got != want {
		t.Fatalf("second run:\n%s\nwant\n%s", got, want)
	}
	for tag := range f.images {
		if !bytes.Equal(f.sigManifest(t, tag), first[tag]) {
			t.Errorf("%s: the second run changed the signature image", tag)
		}
	}
}

// TestBundle: one referrer per tag, listed in the fallback index; a run again adds none.
func TestBundle(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0")
	ctx := context.Background()
	opts := f.options(migrate.Bundle)
	if _, err := migrate.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	tag, _ := cosign.ReferrersTag(f.images["1.0"].Digest)
	idx, _ := f.reg.Manifest(t, name, tag)
	parsed, err := cosign.ParseIndex(idx)
	if err != nil || len(parsed.Manifests) != 1 {
		t.Fatalf("fallback index: %s, %v", idx, err)
	}
	res, err := migrate.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got != "1.0 targets/qa present\n" {
		t.Errorf("second run: %s", got)
	}
	if again, _ := f.reg.Manifest(t, name, tag); !bytes.Equal(again, idx) {
		t.Errorf("the second run changed the fallback index")
	}
}

// TestRefusedKeys: an ed25519 team key, and a key removed from the delegation, are
// refused with the reason and nothing is written.
func TestRefusedKeys(t *testing.T) {
	ctx := context.Background()
	t.Run("ed25519", func(t *testing.T) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, priv, "1.0")
		_, err = migrate.Run(ctx, f.options(migrate.Legacy))
		if err == nil || !strings.Contains(err.Error(), "ed25519") || !strings.Contains(err.Error(), "ECDSA or RSA") {
			t.Fatalf("err = %v, want the ed25519 refusal", err)
		}
		if m := f.sigManifest(t, "1.0"); m != nil {
			t.Fatal("a signature was written")
		}
	})
	t.Run("removed", func(t *testing.T) {
		removed := ecKey(t)
		f := newFixture(t, removed, "1.0")
		// The admin replaces the team's key; the trust dir keeps the old one.
		current := ecKey(t)
		f.repo.Targets[tuf.RoleTargets].Delegations = tuf.Delegations{Keys: map[string]tuf.PublicKey{}, Roles: []tuf.DelegationRole{}}
		f.repo.Delegate(tuf.RoleTargets, qa, []string{""}, signer(t, current))
		f.addTarget(t, "1.0", f.images["1.0"])
		f.repo.Publish(t)
		f.repo.Write(t, f.trust)

		res, err := migrate.Run(ctx, f.options(migrate.Legacy))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || res.Items[0].Outcome != migrate.Skipped || !strings.Contains(res.Items[0].Reason, "no longer listed") {
			t.Fatalf("items %+v, want 1.0 skipped for the removed key", res.Items)
		}
		opts := f.options(migrate.Legacy)
		opts.Role = qa
		if _, err = migrate.Run(ctx, opts); err == nil || !strings.Contains(err.Error(), "removed key is never used") {
			t.Fatalf("--role qa: err = %v", err)
		}
		if m := f.sigManifest(t, "1.0"); m != nil {
			t.Fatal("a signature was written")
		}
	})
}

// TestRoleNotVerifying: an expired team role keeps its tags out.
func TestRoleNotVerifying(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0")
	f.repo.Targets[qa].Expires = time.Now().Add(-time.Hour).UTC()
	f.repo.Publish(t)
	f.repo.Write(t, f.trust)
	res, err := migrate.Run(context.Background(), f.options(migrate.Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].Tag != "" || res.Items[0].Outcome != migrate.Skipped || !strings.Contains(res.Items[0].Reason, "expired") {
		t.Fatalf("items %+v, want the role skipped as expired", res.Items)
	}
}

// TestPinRefused: a root failing its pin stops the run before the registry is asked.
func TestPinRefused(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0")
	opts := f.options(migrate.Legacy)
	opts.Pin = func(string) *tuf.Pin { return &tuf.Pin{CertIDs: []string{strings.Repeat("ab", 32)}} }
	_, err := migrate.Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), f.gun) {
		t.Fatalf("err = %v, want a pin failure", err)
	}
	if m := f.sigManifest(t, "1.0"); m != nil {
		t.Fatal("a signature was written")
	}
}

// TestRegistryFailsMidPush: a proxy in front of the real registry refuses the second
// signature image. The first is complete, the second absent (not half-written), the
// error says so, and a run again completes the migration.
func TestRegistryFailsMidPush(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0", "2.0")
	failTag, _ := cosign.SignatureTag(f.images["2.0"].Digest)
	var refused atomic.Int32
	f.host = faultyProxy(t, f.reg, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/"+failTag) {
			refused.Add(1)
			http.Error(w, "storage failure", http.StatusInternalServerError)
			return true
		}
		return false
	})

	_, err := migrate.Run(context.Background(), f.options(migrate.Legacy))
	if err == nil || !strings.Contains(err.Error(), "1 of 2 images signed;") || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("err = %v", err)
	}
	if refused.Load() == 0 {
		t.Fatal("the proxy refused nothing")
	}
	if f.sigManifest(t, "1.0") == nil {
		t.Error("1.0: the signature image written before the failure is missing")
	}
	if m := f.sigManifest(t, "2.0"); m != nil {
		t.Errorf("2.0: a signature image exists after the failed push: %s", m)
	}

	f.host = f.reg.Host
	res, err := migrate.Run(context.Background(), f.options(migrate.Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "1.0 targets/qa present\n2.0 targets/qa migrated\n"; got != want {
		t.Fatalf("run again:\n%s\nwant\n%s", got, want)
	}
}

// TestManifestGone: a tag whose image was deleted from the registry is skipped.
func TestManifestGone(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0")
	gone := testenv.Image{Digest: tuftest.Digest([]byte("never pushed")), Size: 12}
	f.images["gone"] = gone
	f.addTarget(t, "gone", gone)
	f.repo.Publish(t)
	f.repo.Write(t, f.trust)
	res, err := migrate.Run(context.Background(), f.options(migrate.Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "1.0 targets/qa migrated\ngone targets/qa skipped\n"; got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if res.Items[1].Reason != "manifest gone from the registry" {
		t.Errorf("reason %q", res.Items[1].Reason)
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// faultyProxy puts a proxy in front of the real registry; fault answers the requests it
// wants to break (true) and lets the others through. It returns the proxy's host.
func faultyProxy(t *testing.T, reg *testenv.Registry, fault func(http.ResponseWriter, *http.Request) bool) string {
	t.Helper()
	target, _ := url.Parse("http://" + reg.Host)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fault(w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestLostUpdate: a registry that acknowledges a put it did not keep (what a lost race
// with another writer of the tag looks like) is caught by reading the tag back.
func TestLostUpdate(t *testing.T) {
	for _, format := range []migrate.Format{migrate.Legacy, migrate.Bundle} {
		t.Run(string(format), func(t *testing.T) {
			f := newFixture(t, ecKey(t), "1.0")
			sigTag, _ := cosign.SignatureTag(f.images["1.0"].Digest)
			refTag, _ := cosign.ReferrersTag(f.images["1.0"].Digest)
			f.host = faultyProxy(t, f.reg, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodPut && (strings.HasSuffix(r.URL.Path, "/manifests/"+sigTag) || strings.HasSuffix(r.URL.Path, "/manifests/"+refTag)) {
					w.WriteHeader(http.StatusCreated)
					return true
				}
				return false
			})
			_, err := migrate.Run(context.Background(), f.options(format))
			if err == nil || !strings.Contains(err.Error(), "after the put (another writer replaced it?)") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func (f *fixture) verifyEvidence(t *testing.T, tag string, pin *tuf.Pin) ([]migrate.VerifiedEvidence, error) {
	t.Helper()
	c, err := registry.New(f.host, registry.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return migrate.VerifyEvidence(context.Background(), migrate.VerifyEvidenceOptions{
		GUN: f.gun, Digest: f.images[tag].Digest, Registry: c, Name: name, Pin: pin})
}

// TestEvidence: the trust data was signed 30 days ago, its timestamp expired 16 days
// ago; it was migrated 20 days ago with --evidence. Without the trust dir and without
// a server, the evidence still proves that qa signed 1.0, judged at the time of
// migration; a run again adds no evidence; a tampered file is refused with the reason.
func TestEvidence(t *testing.T) {
	created := time.Now().Add(-30 * 24 * time.Hour)
	f := newFixtureAt(t, created, ecKey(t), "1.0")
	opts := f.options(migrate.Legacy)
	opts.Evidence = true
	opts.Now = created.Add(10 * 24 * time.Hour)
	res, err := migrate.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Evidence) != 1 || res.Evidence[0].Outcome != migrate.Migrated {
		t.Fatalf("evidence %+v", res.Evidence)
	}
	if res, err = migrate.Run(context.Background(), opts); err != nil || res.Evidence[0].Outcome != migrate.Present {
		t.Fatalf("second run: %+v, %v", res.Evidence, err)
	}

	if err := os.RemoveAll(f.trust.Root); err != nil {
		t.Fatal(err)
	}
	rootID := f.repo.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	got, err := f.verifyEvidence(t, "1.0", &tuf.Pin{CertIDs: []string{rootID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Claims) != 1 || got[0].Claims[0] != (migrate.Claim{Tag: "1.0", Role: qa}) ||
		!got[0].Migrated.Equal(opts.Now.UTC().Truncate(time.Second)) {
		t.Fatalf("verified %+v", got)
	}
	if _, err := f.verifyEvidence(t, "1.0", &tuf.Pin{CertIDs: []string{strings.Repeat("ab", 32)}}); !errors.Is(err, tuf.ErrPinMismatch) {
		t.Errorf("another root pinned: %v", err)
	}

	// fetch --evidence keeps it in a trust dir; it verifies from there, offline, with
	// the keys that signed the team's file; an altered layer is refused naming its role.
	kept := store.Dir{Root: t.TempDir()}
	c, err := registry.New(f.host, registry.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n, arts, err := sigcache.FetchEvidence(context.Background(), kept, c, sigcache.Request{GUN: f.gun, Repo: name, Tags: []string{"1.0"}}, migrate.ArtifactTypeEvidence); err != nil || n != 1 || arts != 1 {
		t.Fatalf("fetch evidence: %d digests, %d artifacts, %v", n, arts, err)
	}
	rec, _, err := sigcache.LoadEvidence(kept, f.gun, f.images["1.0"].Digest)
	if err != nil {
		t.Fatal(err)
	}
	stored := []migrate.StoredEvidence{{Manifest: rec.Artifacts[0].Manifest, Blobs: rec.Artifacts[0].Blobs}}
	offline, err := migrate.VerifyStoredEvidence(f.gun, f.images["1.0"].Digest, stored, &tuf.Pin{CertIDs: []string{rootID}})
	if err != nil || len(offline) != 1 || len(offline[0].SignedBy[qa]) == 0 || offline[0].Artifact != got[0].Artifact {
		t.Fatalf("stored evidence: %+v, %v", offline, err)
	}
	for digest, b := range stored[0].Blobs {
		if bytes.HasPrefix(b, []byte(`{"signed"`)) {
			altered := bytes.Clone(b)
			altered[len(altered)/2] ^= 1
			stored[0].Blobs[digest] = altered
			break
		}
	}
	if _, err := migrate.VerifyStoredEvidence(f.gun, f.images["1.0"].Digest, stored, &tuf.Pin{CertIDs: []string{rootID}}); err == nil ||
		!strings.Contains(err.Error(), "is missing or altered") || !errors.Is(err, tuf.ErrMalformed) {
		t.Fatalf("altered stored evidence: %v", err)
	}

	// Tamper: point 1.0 in the team's file at another digest, re-push the artifact with
	// that layer, and make the referrers index list only the tampered artifact.
	idxTag, _ := cosign.ReferrersTag(f.images["1.0"].Digest)
	idxBytes, _ := f.reg.Manifest(t, name, idxTag)
	idx, err := cosign.ParseIndex(idxBytes)
	if err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("index %s: %v", idxBytes, err)
	}
	mb, _ := f.reg.Manifest(t, name, idx.Manifests[0].Digest)
	m, err := cosign.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	var blobs [][]byte
	for i, l := range m.Layers {
		data := f.reg.Blob(t, name, l.Digest)
		if l.Annotations[migrate.KeyRole] == qa {
			hexDigest := strings.TrimPrefix(f.images["1.0"].Digest, "sha256:")
			raw, _ := hex.DecodeString(hexDigest)
			forged := make([]byte, len(raw))
			forged[0] = 1
			data = bytes.Replace(data, []byte(base64.StdEncoding.EncodeToString(raw)), []byte(base64.StdEncoding.EncodeToString(forged)), 1)
			m.Layers[i].Digest, m.Layers[i].Size = cosign.Digest(data), int64(len(data))
		}
		blobs = append(blobs, data)
	}
	blobs = append(blobs, []byte("{}"))
	tampered, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := f.reg.PushArtifact(t, name, cosign.Digest(tampered), cosign.MediaTypeOCIManifest, tampered, blobs...)
	idx.Manifests[0].Digest, idx.Manifests[0].Size = d, int64(len(tampered))
	ib, _ := json.Marshal(idx)
	f.reg.PushArtifact(t, name, idxTag, cosign.MediaTypeOCIIndex, ib)
	_, err = f.verifyEvidence(t, "1.0", &tuf.Pin{CertIDs: []string{rootID}})
	if err == nil || !strings.Contains(err.Error(), qa) || !strings.Contains(err.Error(), d) {
		t.Fatalf("tampered evidence: %v", err)
	}
	t.Logf("tampered evidence: %v", err)
}

// TestReferrersAPI: on a registry with the referrers API (the proxy adds it in front of
// the real registry, which has none), bundles and evidence are pushed as referrers
// only, no fallback index is written, and a run again finds them through the API.
func TestReferrersAPI(t *testing.T) {
	f := newFixture(t, ecKey(t), "1.0")
	var mu sync.Mutex
	referrers := map[string][]cosign.Descriptor{} // subject digest → referrers
	var indexPuts int
	f.host = faultyProxy(t, f.reg, func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/referrers/"):
			subject := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			b, _ := json.Marshal(cosign.Index{SchemaVersion: 2, MediaType: cosign.MediaTypeOCIIndex, Manifests: append([]cosign.Descriptor{}, referrers[subject]...)})
			w.Header().Set("Content-Type", cosign.MediaTypeOCIIndex)
			w.Write(b)
			return true
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/"):
			if r.Header.Get("Content-Type") == cosign.MediaTypeOCIIndex {
				indexPuts++
				return false
			}
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if m, err := cosign.ParseManifest(body); err == nil && m.Subject != nil {
				referrers[m.Subject.Digest] = append(referrers[m.Subject.Digest], cosign.Descriptor{
					MediaType: m.MediaType, Size: int64(len(body)), Digest: cosign.Digest(body), ArtifactType: m.ArtifactType})
			}
		}
		return false
	})
	opts := f.options(migrate.Bundle)
	opts.Evidence = true
	res, err := migrate.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got != "1.0 targets/qa migrated\n" || res.Evidence[0].Outcome != migrate.Migrated {
		t.Fatalf("run: %s %+v", got, res.Evidence)
	}
	if n := len(referrers[f.images["1.0"].Digest]); n != 2 || indexPuts != 0 {
		t.Fatalf("%d referrers, %d index puts; want 2 and none", n, indexPuts)
	}
	if res, err = migrate.Run(context.Background(), opts); err != nil || outcomes(res) != "1.0 targets/qa present\n" || res.Evidence[0].Outcome != migrate.Present {
		t.Fatalf("second run: %s %+v %v", outcomes(res), res.Evidence, err)
	}
	if got, err := f.verifyEvidence(t, "1.0", nil); err != nil || len(got) != 1 {
		t.Fatalf("verify evidence through the API: %+v %v", got, err)
	}
}
