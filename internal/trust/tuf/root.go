package tuf

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Pin restricts which root keys a repository may have, instead of trusting the first
// root seen. A root certificate is pinned when its certificate (TUF) ID or its canonical
// ID is listed, or when it chains to one of CAs (through the intermediates bundled with
// it); with both set either suffices.
//
// Unlike notary, the CA check accepts any extended key usage: notary verifies with Go's
// default serverAuth usage, so the codeSigning certificates notary itself generates can
// never pass its CA pinning (SPEC §6.2). The pin holds when a root of the verified
// rotation chain is signed by pinned keys (see verifyRootChain); later roots are trusted
// through the chain's signatures.
type Pin struct {
	CertIDs []string
	CAs     *x509.CertPool
}

// rootKey is a usable root certificate key.
type rootKey struct {
	key           PublicKey
	leaf          *x509.Certificate
	intermediates []*x509.Certificate
}

// matches tells whether the pin admits k at now.
func (p *Pin) matches(k rootKey, now time.Time) bool {
	cid, _ := k.key.CanonicalID()
	if slices.Contains(p.CertIDs, k.key.ID()) || slices.Contains(p.CertIDs, cid) {
		return true
	}
	if p.CAs == nil {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range k.intermediates {
		inter.AddCert(c)
	}
	_, err := k.leaf.Verify(x509.VerifyOptions{
		Roots:         p.CAs,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err == nil
}

// MatchCN tells whether a root certificate's common name admits gun: equal, or
// "<prefix>*" with gun starting with prefix.
func MatchCN(cn, gun string) bool {
	if prefix, ok := strings.CutSuffix(cn, "*"); ok {
		return strings.HasPrefix(gun, strings.TrimRight(prefix, "*"))
	}
	return cn == gun
}

// checkCertificate applies notary's rules to a root certificate: a sane validity
// window, no SHA-1, RSA of at least 2048 bits and, with checkExpiry, valid at now with a
// day of leeway on NotBefore for clock skew.
func checkCertificate(c *x509.Certificate, now time.Time, checkExpiry bool) error {
	if c.NotBefore.After(c.NotAfter) {
		return errors.New("validity window is inverted")
	}
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return errors.New("signed with SHA-1")
	}
	if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < minRSABits {
		return fmt.Errorf("RSA key of %d bits", k.N.BitLen())
	}
	if checkExpiry && (now.AddDate(0, 0, 1).Before(c.NotBefore) || now.After(c.NotAfter)) {
		return fmt.Errorf("not valid at %s (valid %s to %s)", now.Format(time.RFC3339),
			c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// rootKeys returns the root role's keys that are usable certificates for gun: leaf first
// and the only non-CA certificate, CN matching gun, passing checkCertificate. Other keys
// are ignored, like notary does; none left is an error.
func rootKeys(r *Root, gun string, now time.Time, checkExpiry bool) ([]rootKey, error) {
	var keys []rootKey
	var last error = errors.New("no certificate keys")
	for _, id := range r.Roles[RoleRoot].KeyIDs {
		k := r.Keys[id]
		certs, err := k.Certificates()
		if err != nil {
			last = fmt.Errorf("root key %s: %w", id, err)
			continue
		}
		leaf := certs[0]
		if leaf.IsCA || slices.ContainsFunc(certs[1:], func(c *x509.Certificate) bool { return !c.IsCA }) {
			last = fmt.Errorf("root key %s: the leaf must be the first and only non-CA certificate", id)
			continue
		}
		if !MatchCN(leaf.Subject.CommonName, gun) {
			last = fmt.Errorf("root key %s: certificate CN %q does not match %s", id, leaf.Subject.CommonName, gun)
			continue
		}
		if err := checkCertificate(leaf, now, checkExpiry); err != nil {
			last = fmt.Errorf("root key %s: certificate %w", id, err)
			continue
		}
		rk := rootKey{key: k, leaf: leaf}
		for _, c := range certs[1:] {
			if checkCertificate(c, now, true) == nil {
				rk.intermediates = append(rk.intermediates, c)
			}
		}
		keys = append(keys, rk)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no valid root certificate: %v", ErrCertInvalid, last)
	}
	return keys, nil
}

func keyMap(keys []rootKey) map[string]PublicKey {
	m := make(map[string]PublicKey, len(keys))
	for _, k := range keys {
		m[k.key.ID()] = k.key
	}
	return m
}

// parsedRoot is a root file with what verifying it needs.
type parsedRoot struct {
	file      string
	raw       []byte
	env       *Envelope
	canonical []byte
	root      *Root
}

func parseRoot(file string, raw []byte) (*parsedRoot, error) {
	p := &parsedRoot{file: file, raw: raw, root: new(Root)}
	var err error
	if p.env, err = ParseEnvelope(raw); err != nil {
		return nil, err
	}
	if p.canonical, err = CanonicalJSON(p.env.Signed); err != nil {
		return nil, reasonf(ErrMalformed, "canonical form: %v", err)
	}
	if err := decodeSigned(p.env, p.root); err != nil {
		return nil, err
	}
	if err := p.root.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// verifyRootChain verifies chain (oldest first, the current root.json last): the oldest
// is signed by its own root certificates; every later one is signed by a threshold of
// its predecessor's root certificates and by its own. Certificate expiry is checked for
// the current root only: superseded roots may have expired.
//
// A pin names a root key, and the chain carries it forward (TUF 5.3): it holds when
// some root of the verified chain is signed by a threshold of pinned keys. So a runner
// with an old cache and a fresh one, which walks the chain from version 1, decide the
// same after any number of rotations.
func verifyRootChain(gun string, chain []*parsedRoot, pin *Pin, now time.Time) error {
	var prev *parsedRoot
	pinned := pin == nil
	for i, p := range chain {
		current := i == len(chain)-1
		fail := func(err error) error { return newVerifyError(gun, RoleRoot, p.file, err) }
		own, err := rootKeys(p.root, gun, now, current)
		if err != nil {
			return fail(err)
		}
		if prev != nil {
			prevKeys, err := rootKeys(prev.root, gun, now, false)
			if err != nil {
				return fail(fmt.Errorf("predecessor %s: %w", prev.file, err))
			}
			if _, err := verifySignatures(p.env.Signatures, p.canonical, keyMap(prevKeys), prev.root.Roles[RoleRoot].Threshold); err != nil {
				return fail(fmt.Errorf("not signed by the root keys of %s: %w", prev.file, err))
			}
		}
		threshold := p.root.Roles[RoleRoot].Threshold
		if _, err := verifySignatures(p.env.Signatures, p.canonical, keyMap(own), threshold); err != nil {
			return fail(err)
		}
		if !pinned {
			keys := slices.DeleteFunc(slices.Clone(own), func(k rootKey) bool { return !pin.matches(k, now) })
			_, err := verifySignatures(p.env.Signatures, p.canonical, keyMap(keys), threshold)
			pinned = len(keys) > 0 && err == nil
		}
		prev = p
	}
	if !pinned {
		cur := chain[len(chain)-1]
		return newVerifyError(gun, RoleRoot, cur.file, reasonf(ErrPinMismatch,
			"no root of versions %d to %d is signed by a pinned key: expected %s, the root keys are %s",
			chain[0].root.Version, cur.root.Version, pin.describe(), strings.Join(certIDs(cur.root), ", ")))
	}
	return nil
}

// describe names what a pin admits, for messages.
func (p *Pin) describe() string {
	what := slices.Clone(p.CertIDs)
	if p.CAs != nil {
		what = append(what, "a certificate of the pinned CAs")
	}
	if len(what) == 0 {
		return "nothing"
	}
	return strings.Join(what, " or ")
}

// certIDs are the certificate (TUF) IDs of a root's root keys, sorted.
func certIDs(r *Root) []string {
	ids := slices.Clone(r.Roles[RoleRoot].KeyIDs)
	slices.Sort(ids)
	return ids
}

// VerifyNextRoot checks a root that follows the trusted one: at the next version (a
// rotation) or at the same version (re-signed, as after a certificate renewal), signed
// by a threshold of the trusted root's keys and by a threshold of its own. The fetch
// path checks each root it downloads this way before it asks for the next.
func VerifyNextRoot(gun string, trusted, next []byte, now time.Time) error {
	t, err := parseRoot(FileName(RoleRoot), trusted)
	if err != nil {
		return newVerifyError(gun, RoleRoot, FileName(RoleRoot), err)
	}
	n, err := parseRoot(FileName(RoleRoot), next)
	if err != nil {
		return newVerifyError(gun, RoleRoot, FileName(RoleRoot), err)
	}
	if v := n.root.Version; v != t.root.Version && v != t.root.Version+1 {
		return newVerifyError(gun, RoleRoot, FileName(RoleRoot),
			reasonf(ErrMalformed, "version %d cannot follow version %d", v, t.root.Version))
	}
	return verifyRootChain(gun, []*parsedRoot{t, n}, nil, now)
}
