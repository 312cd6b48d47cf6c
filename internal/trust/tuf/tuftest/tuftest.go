// Package tuftest builds complete Notary v1 repositories signed with fresh keys, for
// tests: root certificate, targets, snapshot, timestamp and delegations, any of which a
// test can change and re-sign, or replace with raw bytes.
package tuftest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Repo is a repository under construction. Files holds the signed files by role name
// ("root", "targets/qa", "2.root" for a superseded root); the structs are what the
// next signing uses.
type Repo struct {
	GUN       string
	Now       time.Time
	Root      *tuf.Root
	Targets   map[string]*tuf.Targets
	Snapshot  *tuf.Snapshot
	Timestamp *tuf.Timestamp
	// Signers sign each role; delegations are signed by theirs.
	Signers map[string][]*tuf.Signer
	Files   map[string][]byte
}

// NewKey makes a plain ECDSA P-256 signer.
func NewKey(t testing.TB) *tuf.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := tuf.PublicKeyFromCrypto(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	s, err := tuf.NewSigner(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewCertKey makes an ECDSA signer whose public key is a self-signed certificate with
// common name cn, valid from notBefore to notAfter, like notary's root certificates.
func NewCertKey(t testing.TB, cn string, notBefore, notAfter time.Time) *tuf.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return CertSigner(t, priv, SelfSigned(t, priv, cn, notBefore, notAfter))
}

// SelfSigned makes a notary-style root certificate for key.
func SelfSigned(t testing.TB, key *ecdsa.PrivateKey, cn string, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// CertSigner signs with key for the certificate form of its public key.
func CertSigner(t testing.TB, key *ecdsa.PrivateKey, cert *x509.Certificate) *tuf.Signer {
	t.Helper()
	pub, err := tuf.PublicKeyFromCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tuf.NewSigner(key, pub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// New makes a repository for gun at now: a root certificate key valid for ten years,
// plain targets, snapshot and timestamp keys, an empty targets role, all signed.
func New(t testing.TB, gun string, now time.Time) *Repo {
	t.Helper()
	r := &Repo{GUN: gun, Now: now, Targets: map[string]*tuf.Targets{}, Signers: map[string][]*tuf.Signer{}, Files: map[string][]byte{}}
	r.Root = &tuf.Root{Common: r.common("Root", 10*365*24*time.Hour), Keys: map[string]tuf.PublicKey{}, Roles: map[string]tuf.RoleKeys{}}
	r.SetRoleKeys(tuf.RoleRoot, NewCertKey(t, gun, now.Add(-time.Hour), now.AddDate(10, 0, 0)))
	for _, role := range []string{tuf.RoleTargets, tuf.RoleSnapshot, tuf.RoleTimestamp} {
		r.SetRoleKeys(role, NewKey(t))
	}
	r.Targets[tuf.RoleTargets] = r.newTargets()
	r.Snapshot = &tuf.Snapshot{Common: r.common("Snapshot", 3*365*24*time.Hour)}
	r.Timestamp = &tuf.Timestamp{Common: r.common("Timestamp", 14*24*time.Hour)}
	r.Publish(t)
	return r
}

func (r *Repo) common(typ string, validity time.Duration) tuf.Common {
	return tuf.Common{Type: typ, Version: 1, Expires: r.Now.Add(validity).UTC()}
}

func (r *Repo) newTargets() *tuf.Targets {
	return &tuf.Targets{Common: r.common("Targets", 3*365*24*time.Hour), Targets: map[string]tuf.FileMeta{},
		Delegations: tuf.Delegations{Keys: map[string]tuf.PublicKey{}, Roles: []tuf.DelegationRole{}}}
}

// SetRoleKeys makes signers the keys (threshold 1) and the signers of a base role.
func (r *Repo) SetRoleKeys(role string, signers ...*tuf.Signer) {
	var ids []string
	for _, s := range signers {
		pub := s.PublicKey()
		r.Root.Keys[pub.ID()] = pub
		ids = append(ids, pub.ID())
	}
	r.Root.Roles[role] = tuf.RoleKeys{KeyIDs: ids, Threshold: 1}
	r.Signers[role] = signers
}

// Delegate adds the child role name of parent with paths, keyed and signed by signers.
func (r *Repo) Delegate(parent, name string, paths []string, signers ...*tuf.Signer) {
	p := r.Targets[parent]
	role := tuf.DelegationRole{Name: name, Paths: paths, Threshold: 1, KeyIDs: []string{}}
	for _, s := range signers {
		pub := s.PublicKey()
		p.Delegations.Keys[pub.ID()] = pub
		role.KeyIDs = append(role.KeyIDs, pub.ID())
	}
	p.Delegations.Roles = append(p.Delegations.Roles, role)
	r.Targets[name] = r.newTargets()
	r.Signers[name] = signers
}

// AddTarget records content as target name of role, as `notary add` does.
func (r *Repo) AddTarget(role, name string, content []byte) {
	r.Targets[role].Targets[name] = tuf.NewFileMeta(content)
}

// Digest is the "sha256:<hex>" of content.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Sign signs meta for role with signers into the bytes of a file.
func Sign(t testing.TB, role string, meta tuf.Metadata, signers ...*tuf.Signer) []byte {
	t.Helper()
	env, err := tuf.Sign(role, meta, signers...)
	if err != nil {
		t.Fatal(err)
	}
	data, err := env.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SignRole re-signs one role's struct with its signers into Files.
func (r *Repo) SignRole(t testing.TB, role string) {
	t.Helper()
	var meta tuf.Metadata
	switch role {
	case tuf.RoleRoot:
		meta = r.Root
	case tuf.RoleSnapshot:
		meta = r.Snapshot
	case tuf.RoleTimestamp:
		meta = r.Timestamp
	default:
		meta = r.Targets[role]
	}
	r.Files[role] = Sign(t, role, meta, r.Signers[role]...)
}

// Publish signs root and every targets role, then UpdateSnapshot.
func (r *Repo) Publish(t testing.TB) {
	t.Helper()
	r.SignRole(t, tuf.RoleRoot)
	for role := range r.Targets {
		r.SignRole(t, role)
	}
	r.UpdateSnapshot(t)
}

// UpdateSnapshot records root and every targets file in the snapshot, signs it, then
// records the snapshot in the timestamp and signs that.
func (r *Repo) UpdateSnapshot(t testing.TB) {
	t.Helper()
	r.Snapshot.Meta = map[string]tuf.FileMeta{tuf.RoleRoot: tuf.NewFileMeta(r.Files[tuf.RoleRoot])}
	for role := range r.Targets {
		r.Snapshot.Meta[role] = tuf.NewFileMeta(r.Files[role])
	}
	r.SignRole(t, tuf.RoleSnapshot)
	r.UpdateTimestamp(t)
}

// UpdateTimestamp records the snapshot file in the timestamp and signs it.
func (r *Repo) UpdateTimestamp(t testing.TB) {
	t.Helper()
	r.Timestamp.Meta = map[string]tuf.FileMeta{tuf.RoleSnapshot: tuf.NewFileMeta(r.Files[tuf.RoleSnapshot])}
	r.SignRole(t, tuf.RoleTimestamp)
}

// RotateRoot replaces the root key by next: the current root file is kept as
// "<version>.root", the new root (version + 1) is signed by the old and the new key,
// as `notary key rotate GUN root` does; later signings keep both signatures. Call
// Publish or UpdateSnapshot afterwards.
func (r *Repo) RotateRoot(t testing.TB, next *tuf.Signer) {
	t.Helper()
	r.Files[strconv.Itoa(r.Root.Version)+"."+tuf.RoleRoot] = r.Files[tuf.RoleRoot]
	old := r.Signers[tuf.RoleRoot]
	r.SetRoleKeys(tuf.RoleRoot, next)
	r.Signers[tuf.RoleRoot] = append(old, next)
	r.Root.Version++
	r.SignRole(t, tuf.RoleRoot)
}

// Write writes every file into the metadata dir of the repository in dir.
func (r *Repo) Write(t testing.TB, dir store.Dir) {
	t.Helper()
	mdir, err := dir.MetadataDir(r.GUN)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(mdir); err != nil {
		t.Fatal(err)
	}
	for role, data := range r.Files {
		if err := store.WriteFileAtomic(filepath.Join(mdir, filepath.FromSlash(tuf.FileName(role))), data); err != nil {
			t.Fatal(err)
		}
	}
}

// TrustDir writes the repository into a new temporary trust dir.
func (r *Repo) TrustDir(t testing.TB) store.Dir {
	t.Helper()
	dir := store.Dir{Root: t.TempDir()}
	r.Write(t, dir)
	return dir
}

// Source serves Files to tuf.Verify.
func (r *Repo) Source() tuf.Source { return source(r.Files) }

type source map[string][]byte

func (s source) Read(name string, limit int64) ([]byte, error) {
	data, ok := s[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	if int64(len(data)) > limit+1 {
		data = data[:limit+1]
	}
	return data, nil
}

func (s source) RootVersions() ([]int, error) {
	var versions []int
	for name := range s {
		if n, ok := strings.CutSuffix(name, "."+tuf.RoleRoot); ok {
			if v, err := strconv.Atoi(n); err == nil {
				versions = append(versions, v)
			}
		}
	}
	return versions, nil
}

// SignRaw signs arbitrary JSON as the "signed" of a file, skipping every check Sign
// makes, so that tests can produce metadata no honest producer would.
func SignRaw(t testing.TB, signed []byte, signers ...*tuf.Signer) []byte {
	t.Helper()
	canonical, err := tuf.CanonicalJSON(signed)
	if err != nil {
		t.Fatal(err)
	}
	env := &tuf.Envelope{Signed: canonical}
	for _, s := range signers {
		sig, err := s.Sign(canonical)
		if err != nil {
			t.Fatal(err)
		}
		env.Signatures = append(env.Signatures, sig)
	}
	data, err := env.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Mutate decodes the "signed" object of a role's file into a generic map, lets edit
// change it and re-signs it with the role's signers.
func (r *Repo) Mutate(t testing.TB, role string, edit func(signed map[string]any)) {
	t.Helper()
	env, err := tuf.ParseEnvelope(r.Files[role])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(env.Signed))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	r.Files[role] = SignRaw(t, raw, r.Signers[role]...)
}
