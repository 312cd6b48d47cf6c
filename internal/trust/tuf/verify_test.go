package tuf_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

const gun = "registry.example.com/team/app"

var now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// newRepo is a published repository: targets holds v1, targets/releases (alice) v2,
// targets/qa (bob, paths "qa-") qa-1.
func newRepo(t *testing.T) *tuftest.Repo {
	t.Helper()
	r := tuftest.New(t, gun, now)
	r.AddTarget(tuf.RoleTargets, "v1", []byte("manifest v1"))
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(t))
	r.Delegate(tuf.RoleTargets, "targets/qa", []string{"qa-"}, tuftest.NewKey(t))
	r.AddTarget("targets/releases", "v2", []byte("manifest v2"))
	r.AddTarget("targets/qa", "qa-1", []byte("manifest qa-1"))
	r.Publish(t)
	return r
}

func verify(t *testing.T, r *tuftest.Repo, opts tuf.VerifyOptions) (*tuf.Repository, error) {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = now
	}
	return tuf.Verify(gun, r.Source(), opts)
}

// wantErr checks that verification fails with reason for role.
func wantErr(t *testing.T, r *tuftest.Repo, opts tuf.VerifyOptions, reason tuf.Reason, role string) {
	t.Helper()
	_, err := verify(t, r, opts)
	var ve *tuf.VerifyError
	if !errors.Is(err, reason) || !errors.As(err, &ve) || ve.Role != role {
		t.Fatalf("got %v, want %s of %s", err, reason, role)
	}
	if !strings.Contains(err.Error(), gun) {
		t.Errorf("error does not name the repository: %v", err)
	}
}

// wantInvalid checks that verification succeeds but refuses role for reason.
func wantInvalid(t *testing.T, r *tuftest.Repo, opts tuf.VerifyOptions, reason tuf.Reason, role string) *tuf.Repository {
	t.Helper()
	repo, err := verify(t, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range repo.Invalid {
		if e.Role == role && errors.Is(e, reason) {
			return repo
		}
	}
	t.Fatalf("invalid delegations %v, want %s of %s", repo.Invalid, reason, role)
	return nil
}

func TestValidRepository(t *testing.T) {
	r := newRepo(t)
	repo, err := verify(t, r, tuf.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(repo.Invalid) != 0 || !repo.TrustOnFirstUse || len(repo.Targets.Children) != 2 {
		t.Fatalf("unexpected result: invalid %v, tofu %v, children %d", repo.Invalid, repo.TrustOnFirstUse, len(repo.Targets.Children))
	}
}

func TestTamperedTargets(t *testing.T) {
	r := newRepo(t)
	r.Files[tuf.RoleTargets] = bytes.Replace(r.Files[tuf.RoleTargets], []byte(`"length":11`), []byte(`"length":12`), 1)
	r.UpdateSnapshot(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrSignature, tuf.RoleTargets)
}

func TestSignatureByUnknownKey(t *testing.T) {
	r := newRepo(t)
	r.Signers[tuf.RoleTargets] = []*tuf.Signer{tuftest.NewKey(t)}
	r.Publish(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrThreshold, tuf.RoleTargets)
}

func TestThresholdNotMet(t *testing.T) {
	r := newRepo(t)
	k1, k2 := tuftest.NewKey(t), tuftest.NewKey(t)
	r.SetRoleKeys(tuf.RoleTargets, k1, k2)
	r.Root.Roles[tuf.RoleTargets] = tuf.RoleKeys{KeyIDs: r.Root.Roles[tuf.RoleTargets].KeyIDs, Threshold: 2}
	r.Signers[tuf.RoleTargets] = []*tuf.Signer{k1}
	r.Publish(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrThreshold, tuf.RoleTargets)

	r.Signers[tuf.RoleTargets] = []*tuf.Signer{k1, k2}
	r.Publish(t)
	if _, err := verify(t, r, tuf.VerifyOptions{}); err != nil {
		t.Fatalf("two keys of threshold 2: %v", err)
	}
}

func TestDuplicateSignaturesCountOnce(t *testing.T) {
	r := newRepo(t)
	k1, k2 := tuftest.NewKey(t), tuftest.NewKey(t)
	r.SetRoleKeys(tuf.RoleTargets, k1, k2)
	r.Root.Roles[tuf.RoleTargets] = tuf.RoleKeys{KeyIDs: r.Root.Roles[tuf.RoleTargets].KeyIDs, Threshold: 2}
	r.Signers[tuf.RoleTargets] = []*tuf.Signer{k1, k1}
	r.Publish(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrThreshold, tuf.RoleTargets)
}

// TestSameKeyTwoIDs lists one key twice, bare and as a certificate: notary counts
// them as two keys, trustctl as one.
func TestSameKeyTwoIDs(t *testing.T) {
	r := newRepo(t)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	plainPub, _ := tuf.PublicKeyFromCrypto(priv.Public())
	plain, _ := tuf.NewSigner(priv, plainPub)
	cert := tuftest.CertSigner(t, priv, tuftest.SelfSigned(t, priv, "someone", now.Add(-time.Hour), now.AddDate(1, 0, 0)))
	if plain.PublicKey().ID() == cert.PublicKey().ID() {
		t.Fatal("the two forms should have different IDs")
	}
	r.SetRoleKeys(tuf.RoleTargets, plain, cert)
	r.Root.Roles[tuf.RoleTargets] = tuf.RoleKeys{KeyIDs: r.Root.Roles[tuf.RoleTargets].KeyIDs, Threshold: 2}
	r.Publish(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrThreshold, tuf.RoleTargets)
}

func TestRollbackAgainstTrustedVersions(t *testing.T) {
	r := newRepo(t)
	for _, role := range []string{tuf.RoleRoot, tuf.RoleTimestamp, tuf.RoleSnapshot, tuf.RoleTargets} {
		t.Run(role, func(t *testing.T) {
			wantErr(t, r, tuf.VerifyOptions{Trusted: tuf.Versions{role: 2}}, tuf.ErrRollback, role)
		})
	}
	t.Run("targets/releases", func(t *testing.T) {
		repo := wantInvalid(t, r, tuf.VerifyOptions{Trusted: tuf.Versions{"targets/releases": 2}}, tuf.ErrRollback, "targets/releases")
		if repo.Targets.Children[0].Signed != nil {
			t.Error("a rolled back delegation still yields targets")
		}
	})
	if _, err := verify(t, r, tuf.VerifyOptions{Trusted: tuf.Versions{tuf.RoleTargets: 1, tuf.RoleRoot: 1}}); err != nil {
		t.Errorf("equal versions are no rollback: %v", err)
	}
}

// TestDelegationRolledBack puts back an older delegation file while targets and the
// snapshot are current: its hash no longer matches the snapshot.
func TestDelegationRolledBack(t *testing.T) {
	r := newRepo(t)
	old := r.Files["targets/releases"]
	r.AddTarget("targets/releases", "v2", []byte("manifest V2")) // same length: only the hashes tell
	r.Targets["targets/releases"].Version++
	r.Publish(t)
	r.Files["targets/releases"] = old
	wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrHashMismatch, "targets/releases")
}

func TestFreeze(t *testing.T) {
	r := newRepo(t)
	wantErr(t, r, tuf.VerifyOptions{Now: now.AddDate(0, 0, 15)}, tuf.ErrExpired, tuf.RoleTimestamp)
}

func TestExpiredRoles(t *testing.T) {
	for _, role := range []string{tuf.RoleRoot, tuf.RoleSnapshot, tuf.RoleTargets} {
		t.Run(role, func(t *testing.T) {
			r := newRepo(t)
			switch role {
			case tuf.RoleRoot:
				r.Root.Expires = now.Add(-time.Second)
			case tuf.RoleSnapshot:
				r.Snapshot.Expires = now.Add(-time.Second)
			default:
				r.Targets[role].Expires = now.Add(-time.Second)
			}
			r.Publish(t)
			wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrExpired, role)
		})
	}
	t.Run("delegation", func(t *testing.T) {
		r := newRepo(t)
		r.Targets["targets/releases"].Expires = now.Add(-time.Second)
		r.Publish(t)
		wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrExpired, "targets/releases")
	})
}

func TestMixAndMatch(t *testing.T) {
	r := newRepo(t)
	oldSnapshot, oldTargets := r.Files[tuf.RoleSnapshot], r.Files[tuf.RoleTargets]
	r.AddTarget(tuf.RoleTargets, "v1", []byte("manifest V1")) // same length: only the hashes tell
	r.Targets[tuf.RoleTargets].Version++
	r.Snapshot.Version++
	r.Timestamp.Version++
	r.Publish(t)
	t.Run("old snapshot, new timestamp", func(t *testing.T) {
		cur := r.Files[tuf.RoleSnapshot]
		defer func() { r.Files[tuf.RoleSnapshot] = cur }()
		r.Files[tuf.RoleSnapshot] = oldSnapshot
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrHashMismatch, tuf.RoleSnapshot)
	})
	t.Run("old targets, new snapshot", func(t *testing.T) {
		cur := r.Files[tuf.RoleTargets]
		defer func() { r.Files[tuf.RoleTargets] = cur }()
		r.Files[tuf.RoleTargets] = oldTargets
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrHashMismatch, tuf.RoleTargets)
	})
	t.Run("root not the snapshot's", func(t *testing.T) {
		r.Root.Version++
		r.SignRole(t, tuf.RoleRoot)
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrHashMismatch, tuf.RoleRoot)
	})
}

func TestLengthLies(t *testing.T) {
	for _, delta := range []int64{-1, 1} {
		r := newRepo(t)
		m := r.Timestamp.Meta[tuf.RoleSnapshot]
		m.Length += delta
		r.Timestamp.Meta[tuf.RoleSnapshot] = m
		r.SignRole(t, tuf.RoleTimestamp)
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrLength, tuf.RoleSnapshot)
	}
}

func TestWrongType(t *testing.T) {
	for _, role := range []string{tuf.RoleRoot, tuf.RoleTimestamp, tuf.RoleSnapshot, tuf.RoleTargets} {
		t.Run(role, func(t *testing.T) {
			r := newRepo(t)
			r.Mutate(t, role, func(m map[string]any) { m["_type"] = "Targets" })
			if role == tuf.RoleTargets {
				r.Mutate(t, role, func(m map[string]any) { m["_type"] = "targets" })
			}
			switch role {
			case tuf.RoleSnapshot:
				r.UpdateTimestamp(t)
			case tuf.RoleRoot, tuf.RoleTargets:
				r.UpdateSnapshot(t)
			}
			wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrWrongType, role)
		})
	}
	t.Run("delegation", func(t *testing.T) {
		r := newRepo(t)
		r.Mutate(t, "targets/qa", func(m map[string]any) { m["_type"] = "Snapshot" })
		r.UpdateSnapshot(t)
		wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrWrongType, "targets/qa")
	})
}

func TestDelegationOutsidePaths(t *testing.T) {
	r := newRepo(t)
	r.AddTarget("targets/qa", "v1", []byte("not qa")) // qa may only sign "qa-…"
	r.Delegate("targets/qa", "targets/qa/nested", []string{"other-"}, tuftest.NewKey(t))
	r.AddTarget("targets/qa/nested", "other-1", []byte("outside the parent's paths"))
	r.Publish(t)
	repo := wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrInvalidDelegation, "targets/qa")
	qa := repo.Targets.Children[1]
	if qa.AllowsPath("v1") || qa.Children[0].AllowsPath("other-1") || len(qa.Children[0].Paths) != 0 {
		t.Errorf("paths not restricted: qa %q, nested %q", qa.Paths, qa.Children[0].Paths)
	}
	visited := 0
	repo.Walk("v1", "", nil, func(tr *tuf.TargetsRole) bool {
		if tr.Name != tuf.RoleTargets && tr.Name != "targets/releases" {
			t.Errorf("walk for v1 visited %s", tr.Name)
		}
		visited++
		return true
	})
	if visited != 2 {
		t.Errorf("visited %d roles", visited)
	}
}

func TestInvalidDelegationNames(t *testing.T) {
	for _, name := range []string{"targets/UPPER", "targets/../root", "targets/a/", "targets//a", "releases", "targets/qa/x", "targets/" + strings.Repeat("a", 250)} {
		t.Run(name, func(t *testing.T) {
			r := newRepo(t)
			r.Mutate(t, tuf.RoleTargets, func(m map[string]any) {
				roles := m["delegations"].(map[string]any)["roles"].([]any)
				roles[0].(map[string]any)["name"] = name
			})
			r.UpdateSnapshot(t)
			wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrInvalidDelegation, tuf.RoleTargets)
		})
	}
	t.Run("in a delegation", func(t *testing.T) {
		r := newRepo(t)
		r.Mutate(t, "targets/releases", func(m map[string]any) {
			m["delegations"].(map[string]any)["roles"] = []any{map[string]any{"name": "targets/releases/Bad", "keyids": []any{}, "threshold": 1}}
		})
		r.UpdateSnapshot(t)
		wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrInvalidDelegation, "targets/releases")
	})
	t.Run("unknown key, zero threshold", func(t *testing.T) {
		r := newRepo(t)
		r.Mutate(t, tuf.RoleTargets, func(m map[string]any) {
			roles := m["delegations"].(map[string]any)["roles"].([]any)
			roles[0].(map[string]any)["keyids"] = []any{strings.Repeat("ab", 32)}
			roles[1].(map[string]any)["threshold"] = 0
		})
		r.UpdateSnapshot(t)
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrInvalidDelegation, tuf.RoleTargets)
	})
}

func TestMissingDelegationFile(t *testing.T) {
	r := newRepo(t)
	delete(r.Files, "targets/qa")
	wantInvalid(t, r, tuf.VerifyOptions{}, tuf.ErrNoTrustData, "targets/qa")
}

func TestRootRotationChain(t *testing.T) {
	r := newRepo(t)
	oldID := r.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	r.RotateRoot(t, tuftest.NewCertKey(t, gun, now.Add(-time.Hour), now.AddDate(10, 0, 0)))
	r.UpdateSnapshot(t)
	repo, err := verify(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CertIDs: []string{oldID}}})
	if err != nil {
		t.Fatalf("pinned old root, rotated through 1.root.json: %v", err)
	}
	if repo.Root.Version != 2 || repo.TrustOnFirstUse {
		t.Errorf("root version %d, tofu %v", repo.Root.Version, repo.TrustOnFirstUse)
	}
	t.Run("without the chain the old pin fails", func(t *testing.T) {
		chain := r.Files["1.root"]
		defer func() { r.Files["1.root"] = chain }()
		delete(r.Files, "1.root")
		wantErr(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CertIDs: []string{oldID}}}, tuf.ErrPinMismatch, tuf.RoleRoot)
	})
	t.Run("a newer cached root is a rollback", func(t *testing.T) {
		r.Files["3.root"] = r.Files[tuf.RoleRoot]
		defer delete(r.Files, "3.root")
		wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrRollback, tuf.RoleRoot)
	})
}

func TestBrokenRootChain(t *testing.T) {
	r := newRepo(t)
	next := tuftest.NewCertKey(t, gun, now.Add(-time.Hour), now.AddDate(10, 0, 0))
	r.RotateRoot(t, next)
	r.Files[tuf.RoleRoot] = tuftest.Sign(t, tuf.RoleRoot, r.Root, next) // the old key did not sign
	r.UpdateSnapshot(t)
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrThreshold, tuf.RoleRoot)

	r.Files["1.root"], r.Files["3.root"] = nil, r.Files["1.root"]
	delete(r.Files, "1.root")
	wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrRollback, tuf.RoleRoot)
}

func TestRootCertificates(t *testing.T) {
	cases := map[string]*tuf.Signer{
		"expired":      tuftest.NewCertKey(t, gun, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1)),
		"not yet":      tuftest.NewCertKey(t, gun, now.AddDate(0, 0, 2), now.AddDate(1, 0, 0)),
		"wrong CN":     tuftest.NewCertKey(t, "registry.example.com/other", now.Add(-time.Hour), now.AddDate(1, 0, 0)),
		"wildcard out": tuftest.NewCertKey(t, "registry.example.com/other/*", now.Add(-time.Hour), now.AddDate(1, 0, 0)),
		"plain key":    tuftest.NewKey(t),
	}
	for name, key := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRepo(t)
			r.SetRoleKeys(tuf.RoleRoot, key)
			r.Publish(t)
			wantErr(t, r, tuf.VerifyOptions{}, tuf.ErrCertInvalid, tuf.RoleRoot)
		})
	}
	t.Run("wildcard and leeway accepted", func(t *testing.T) {
		r := newRepo(t)
		r.SetRoleKeys(tuf.RoleRoot, tuftest.NewCertKey(t, "registry.example.com/team/*", now.Add(12*time.Hour), now.AddDate(1, 0, 0)))
		r.Publish(t)
		if _, err := verify(t, r, tuf.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPin(t *testing.T) {
	r := newRepo(t)
	rootKey := r.Root.Keys[r.Root.Roles[tuf.RoleRoot].KeyIDs[0]]
	canonical, _ := rootKey.CanonicalID()
	for _, id := range []string{rootKey.ID(), canonical} {
		repo, err := verify(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CertIDs: []string{id}}})
		if err != nil || repo.TrustOnFirstUse {
			t.Errorf("pin %s: %v", id, err)
		}
	}
	wantErr(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CertIDs: []string{strings.Repeat("0", 64)}}}, tuf.ErrPinMismatch, tuf.RoleRoot)
	wantErr(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CAs: x509.NewCertPool()}}, tuf.ErrPinMismatch, tuf.RoleRoot)
}

// TestPinCA issues the root certificate from a CA with the codeSigning usage notary
// gives root certificates, which notary's own CA pinning rejects.
func TestPinCA(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.AddDate(-1, 0, 0),
		NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: gun}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(1, 0, 0), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, _ := x509.CreateCertificate(rand.Reader, leafTmpl, ca, leafKey.Public(), caKey)
	leaf, _ := x509.ParseCertificate(leafDER)

	r := newRepo(t)
	r.SetRoleKeys(tuf.RoleRoot, tuftest.CertSigner(t, leafKey, leaf))
	r.Publish(t)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := verify(t, r, tuf.VerifyOptions{Pin: &tuf.Pin{CAs: pool}}); err != nil {
		t.Fatal(err)
	}
}

func TestHostileInput(t *testing.T) {
	cases := map[string]struct {
		role   string
		edit   func(t *testing.T, r *tuftest.Repo)
		reason tuf.Reason
	}{
		"huge root": {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleRoot] = append(r.Files[tuf.RoleRoot], bytes.Repeat([]byte(" "), tuf.MaxRootSize)...)
		}, tuf.ErrMalformed},
		"truncated root": {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleRoot] = r.Files[tuf.RoleRoot][:len(r.Files[tuf.RoleRoot])/2]
		}, tuf.ErrMalformed},
		"truncated timestamp": {tuf.RoleTimestamp, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleTimestamp] = r.Files[tuf.RoleTimestamp][:10]
		}, tuf.ErrMalformed},
		"signed is an array": {tuf.RoleTimestamp, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleTimestamp] = []byte(`{"signed":[],"signatures":[]}`)
		}, tuf.ErrMalformed},
		"version is a string": {tuf.RoleTargets, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleTargets, func(m map[string]any) { m["version"] = "1" })
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"targets is a list": {tuf.RoleTargets, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleTargets, func(m map[string]any) { m["targets"] = []any{} })
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"fraction": {tuf.RoleTargets, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleTargets] = bytes.Replace(r.Files[tuf.RoleTargets], []byte(`"version":1`), []byte(`"version":1.5`), 1)
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"deep nesting": {tuf.RoleTargets, func(t *testing.T, r *tuftest.Repo) {
			deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
			r.Files[tuf.RoleTargets] = bytes.Replace(r.Files[tuf.RoleTargets], []byte(`"version":1`), []byte(`"version":1,"x":`+deep), 1)
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"unknown key type": {tuf.RoleTimestamp, func(t *testing.T, r *tuftest.Repo) {
			odd := tuf.PublicKey{Type: "foo", Public: []byte("bar")}
			r.Root.Keys[odd.ID()] = odd
			r.Root.Roles[tuf.RoleTimestamp] = tuf.RoleKeys{KeyIDs: []string{odd.ID()}, Threshold: 1}
			r.Publish(t)
		}, tuf.ErrThreshold},
		"key stored under another ID": {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleRoot, func(m map[string]any) {
				for _, id := range r.Root.Roles[tuf.RoleTimestamp].KeyIDs {
					m["keys"].(map[string]any)[id].(map[string]any)["keytype"] = "rsa"
				}
			})
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"absurd threshold": {tuf.RoleTargets, func(t *testing.T, r *tuftest.Repo) {
			r.Root.Roles[tuf.RoleTargets] = tuf.RoleKeys{KeyIDs: r.Root.Roles[tuf.RoleTargets].KeyIDs, Threshold: 1 << 40}
			r.Publish(t)
		}, tuf.ErrThreshold},
		"negative threshold": {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleRoot, func(m map[string]any) {
				m["roles"].(map[string]any)["snapshot"].(map[string]any)["threshold"] = -1
			})
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"missing role": {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleRoot, func(m map[string]any) { delete(m["roles"].(map[string]any), "timestamp") })
			r.UpdateSnapshot(t)
		}, tuf.ErrMalformed},
		"no timestamp": {tuf.RoleTimestamp, func(t *testing.T, r *tuftest.Repo) { delete(r.Files, tuf.RoleTimestamp) }, tuf.ErrNoTrustData},
		"no root":      {tuf.RoleRoot, func(t *testing.T, r *tuftest.Repo) { delete(r.Files, tuf.RoleRoot) }, tuf.ErrNoTrustData},
		"unsigned": {tuf.RoleSnapshot, func(t *testing.T, r *tuftest.Repo) {
			r.Files[tuf.RoleSnapshot] = tuftest.SignRaw(t, mustJSON(t, r.Snapshot))
			r.UpdateTimestamp(t)
		}, tuf.ErrSignature},
		"snapshot without sha256": {tuf.RoleSnapshot, func(t *testing.T, r *tuftest.Repo) {
			r.Mutate(t, tuf.RoleSnapshot, func(m map[string]any) {
				delete(m["meta"].(map[string]any)["targets"].(map[string]any)["hashes"].(map[string]any), "sha256")
			})
			r.UpdateTimestamp(t)
		}, tuf.ErrMalformed},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRepo(t)
			c.edit(t, r)
			wantErr(t, r, tuf.VerifyOptions{}, c.reason, c.role)
		})
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAllowExpired(t *testing.T) {
	r := newRepo(t)
	r.Targets["targets/qa"].Expires = now.Add(-time.Second)
	r.Publish(t)
	later := now.AddDate(0, 0, 20) // the timestamp expired too
	repo, err := verify(t, r, tuf.VerifyOptions{Now: later, AllowExpired: true})
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, e := range repo.Expired {
		if !errors.Is(e, tuf.ErrExpired) {
			t.Errorf("expired entry %v", e)
		}
		roles = append(roles, e.Role)
	}
	if strings.Join(roles, ",") != "targets/qa,timestamp" || len(repo.Invalid) != 0 {
		t.Errorf("Expired = %v, Invalid = %v", repo.Expired, repo.Invalid)
	}
	// Everything but expiry is still checked.
	wantErr(t, r, tuf.VerifyOptions{Now: later, AllowExpired: true, Trusted: tuf.Versions{tuf.RoleSnapshot: 9}}, tuf.ErrRollback, tuf.RoleSnapshot)
}

func TestSignedBy(t *testing.T) {
	r := newRepo(t)
	releases := r.Signers["targets/releases"][0].PublicKey()
	repo, err := verify(t, r, tuf.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := repo.Targets.Children[0].SignedBy; len(got) != 1 || got[0] != releases.ID() {
		t.Errorf("SignedBy = %v, want [%s]", got, releases.ID())
	}
}
