// Package tuf is the Notary v1 dialect of TUF: wire types, canonical JSON, key IDs,
// signatures and the verification of a repository's metadata. It reads and writes what
// notary v0.7.0 reads and writes (see docs/design.md); it knows nothing about files,
// servers or the command line.
package tuf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
)

// Key types as they appear in "keytype".
const (
	KeyTypeECDSA     = "ecdsa"
	KeyTypeECDSAX509 = "ecdsa-x509"
	KeyTypeRSA       = "rsa"
	KeyTypeRSAX509   = "rsa-x509"
	KeyTypeED25519   = "ed25519"
)

// Signature methods as they appear in "method".
const (
	MethodECDSA    = "ecdsa"
	MethodRSAPSS   = "rsapss"
	MethodRSAPKCS1 = "rsapkcs1v15"
	MethodPyPSS    = "pycrypto-pkcs#1 pss"
	MethodED25519  = "eddsa"
)

// minRSABits is notary's floor for RSA keys, certificates and signatures.
const minRSABits = 2048

// PublicKey is a TUF key object: {"keytype":T,"keyval":{"private":null,"public":<b64>}}.
// Public holds the decoded bytes: PKIX DER for ecdsa/rsa, 32 raw bytes for ed25519, PEM
// certificate text for the -x509 types.
type PublicKey struct {
	Type   string
	Public []byte
}

type keyVal struct {
	Private *string `json:"private"`
	Public  []byte  `json:"public"`
}

type keyJSON struct {
	KeyType string `json:"keytype"`
	KeyVal  keyVal `json:"keyval"`
}

// MarshalJSON writes the key object with "private": null, as notary does.
func (k PublicKey) MarshalJSON() ([]byte, error) {
	return cjson.EncodeCanonical(keyJSON{KeyType: k.Type, KeyVal: keyVal{Public: k.Public}})
}

// UnmarshalJSON reads a key object; the private part is never accepted from metadata.
func (k *PublicKey) UnmarshalJSON(b []byte) error {
	var j keyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.KeyVal.Private != nil {
		return errors.New("key object carries private material")
	}
	*k = PublicKey{Type: j.KeyType, Public: j.KeyVal.Public}
	return nil
}

// ID is the TUF key ID: sha256 of the canonical key object. For certificate keys it is
// the ID root.json, signatures and notary's trust pinning use.
func (k PublicKey) ID() string {
	b, err := k.MarshalJSON()
	if err != nil {
		// Encoding a string and a byte slice cannot fail.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CanonicalID is the ID of the key without its certificate: what key file names,
// `notary key list`, delegation listings and docker's "Signers" show. For plain keys it
// equals ID.
func (k PublicKey) CanonicalID() (string, error) {
	if !k.IsCertificate() {
		return k.ID(), nil
	}
	cert, err := k.Certificate()
	if err != nil {
		return "", err
	}
	plain, err := PublicKeyFromCrypto(cert.PublicKey)
	if err != nil {
		return "", err
	}
	return plain.ID(), nil
}

// IsCertificate tells whether the key carries an X.509 certificate chain.
func (k PublicKey) IsCertificate() bool {
	return k.Type == KeyTypeECDSAX509 || k.Type == KeyTypeRSAX509
}

// Certificates decodes the PEM certificate chain of an -x509 key, leaf first.
func (k PublicKey) Certificates() ([]*x509.Certificate, error) {
	if !k.IsCertificate() {
		return nil, fmt.Errorf("key type %q holds no certificate", k.Type)
	}
	var certs []*x509.Certificate
	rest := k.Public
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate in key")
	}
	return certs, nil
}

// Certificate returns the leaf certificate of an -x509 key.
func (k PublicKey) Certificate() (*x509.Certificate, error) {
	certs, err := k.Certificates()
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// CryptoPublicKey returns the Go public key, checking that its type matches Type.
func (k PublicKey) CryptoPublicKey() (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	switch k.Type {
	case KeyTypeED25519:
		if len(k.Public) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("ed25519 key of %d bytes", len(k.Public))
		}
		return ed25519.PublicKey(k.Public), nil
	case KeyTypeECDSA, KeyTypeRSA:
		p, err := x509.ParsePKIXPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("parse %s public key: %w", k.Type, err)
		}
		pub = p
	case KeyTypeECDSAX509, KeyTypeRSAX509:
		c, err := k.Certificate()
		if err != nil {
			return nil, err
		}
		pub = c.PublicKey
	default:
		return nil, fmt.Errorf("unsupported key type %q", k.Type)
	}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Type != KeyTypeECDSA && k.Type != KeyTypeECDSAX509 {
			return nil, fmt.Errorf("key type %q holds an ECDSA key", k.Type)
		}
	case *rsa.PublicKey:
		if k.Type != KeyTypeRSA && k.Type != KeyTypeRSAX509 {
			return nil, fmt.Errorf("key type %q holds an RSA key", k.Type)
		}
		if p.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits, at least %d required", p.N.BitLen(), minRSABits)
		}
	default:
		return nil, fmt.Errorf("key type %q holds an unsupported %T", k.Type, pub)
	}
	return pub, nil
}

// PublicKeyFromCrypto makes the plain (non-certificate) TUF key of a Go public key.
func PublicKeyFromCrypto(pub crypto.PublicKey) (PublicKey, error) {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		return PublicKey{Type: KeyTypeED25519, Public: append([]byte(nil), p...)}, nil
	case *ecdsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(p)
		if err != nil {
			return PublicKey{}, err
		}
		return PublicKey{Type: KeyTypeECDSA, Public: der}, nil
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(p)
		if err != nil {
			return PublicKey{}, err
		}
		return PublicKey{Type: KeyTypeRSA, Public: der}, nil
	}
	return PublicKey{}, fmt.Errorf("unsupported public key type %T", pub)
}

// PublicKeyFromCertificate makes the -x509 TUF key of a certificate, as notary does:
// the PEM of the DER, re-encoded (headers and whitespace of the input are not kept).
func PublicKeyFromCertificate(cert *x509.Certificate) (PublicKey, error) {
	var keyType string
	switch cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		keyType = KeyTypeECDSAX509
	case *rsa.PublicKey:
		keyType = KeyTypeRSAX509
	default:
		return PublicKey{}, fmt.Errorf("unsupported certificate key type %T", cert.PublicKey)
	}
	return PublicKey{Type: keyType, Public: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// Signature is one entry of an envelope's "signatures".
type Signature struct {
	KeyID  string `json:"keyid"`
	Method string `json:"method"`
	Sig    []byte `json:"sig"`
}

// VerifySignature checks sig over the canonical bytes msg with key. The method is
// lower-cased as notary does; a method that does not fit the key type fails.
func VerifySignature(key PublicKey, method string, msg, sig []byte) error {
	pub, err := key.CryptoPublicKey()
	if err != nil {
		return err
	}
	method = strings.ToLower(method)
	digest := sha256.Sum256(msg)
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if method != MethodED25519 {
			return fmt.Errorf("method %q does not fit an ed25519 key", method)
		}
		if !ed25519.Verify(p, msg, sig) {
			return errors.New("ed25519 signature does not verify")
		}
	case *ecdsa.PublicKey:
		if method != MethodECDSA {
			return fmt.Errorf("method %q does not fit an ECDSA key", method)
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("ECDSA signature of %d bytes, want %d", len(sig), 2*size)
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(p, digest[:], r, s) {
			return errors.New("ECDSA signature does not verify")
		}
	case *rsa.PublicKey:
		switch method {
		case MethodRSAPSS, MethodPyPSS:
			if err := rsa.VerifyPSS(p, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: sha256.Size, Hash: crypto.SHA256}); err != nil {
				return fmt.Errorf("RSA-PSS signature does not verify: %w", err)
			}
		case MethodRSAPKCS1:
			if err := rsa.VerifyPKCS1v15(p, crypto.SHA256, digest[:], sig); err != nil {
				return fmt.Errorf("RSA PKCS#1 signature does not verify: %w", err)
			}
		default:
			return fmt.Errorf("method %q does not fit an RSA key", method)
		}
	}
	return nil
}

// Signer makes signatures in the Notary v1 dialect with a private key.
type Signer struct {
	key crypto.Signer
	pub PublicKey
}

// NewSigner wraps a private key; pub is the TUF key the signatures are made for (a
// certificate key for roots and certificate delegations, else the plain key).
func NewSigner(key crypto.Signer, pub PublicKey) (*Signer, error) {
	plain, err := PublicKeyFromCrypto(key.Public())
	if err != nil {
		return nil, err
	}
	canonical, err := pub.CanonicalID()
	if err != nil {
		return nil, err
	}
	if canonical != plain.ID() {
		return nil, errors.New("private key does not belong to the public key")
	}
	return &Signer{key: key, pub: pub}, nil
}

// PublicKey is the TUF key the signer signs for.
func (s *Signer) PublicKey() PublicKey { return s.pub }

// Sign signs the canonical bytes msg: ECDSA as raw r‖s over SHA-256, RSA-PSS with salt
// length 32 over SHA-256, Ed25519 over msg itself.
func (s *Signer) Sign(msg []byte) (Signature, error) {
	digest := sha256.Sum256(msg)
	sig := Signature{KeyID: s.pub.ID()}
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		sig.Method = MethodED25519
		sig.Sig = ed25519.Sign(k, msg)
	case *ecdsa.PrivateKey:
		r, ss, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return Signature{}, fmt.Errorf("ECDSA sign: %w", err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		raw := make([]byte, 2*size)
		r.FillBytes(raw[:size])
		ss.FillBytes(raw[size:])
		sig.Method = MethodECDSA
		sig.Sig = raw
	case *rsa.PrivateKey:
		raw, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: sha256.Size, Hash: crypto.SHA256})
		if err != nil {
			return Signature{}, fmt.Errorf("RSA-PSS sign: %w", err)
		}
		sig.Method = MethodRSAPSS
		sig.Sig = raw
	default:
		return Signature{}, fmt.Errorf("unsupported private key type %T", s.key)
	}
	return sig, nil
}
