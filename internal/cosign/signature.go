package cosign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// minRSABits is the smallest RSA key signed or accepted (notary's and cosign's floor).
const minRSABits = 2048

// CheckKey refuses, with the reason, a key whose signatures cosign would not verify,
// before anything is signed with it.
func CheckKey(pub crypto.PublicKey) error { return checkKey(pub) }

// checkKey accepts the keys whose signatures cosign v2.6 and v3.1 verify with `--key`:
// ECDSA on the NIST curves and RSA, both over SHA-256 (cosign loads the public key with
// sigstore's LoadVerifier(pub, crypto.SHA256) whatever its size).
func checkKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return fmt.Errorf("%w: ECDSA on %s, want P-256, P-384 or P-521", ErrUnsupportedKey, k.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("%w: RSA key of %d bits, at least %d required", ErrUnsupportedKey, k.N.BitLen(), minRSABits)
		}
	case ed25519.PublicKey:
		// cosign loads an ed25519 private key for ed25519ph (the prehashed variant,
		// GetDefaultLoadOptions) but `verify --key` loads the public key for plain
		// ed25519, so a team could not go on signing with cosign using the key its
		// migrated signatures are made with (issue 13).
		return fmt.Errorf("%w: ed25519 (cosign v2.6 and v3.1 sign ed25519 keys in a way their own verifier rejects); sign with an ECDSA or RSA key", ErrUnsupportedKey)
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	return nil
}

// Sign signs msg as cosign does with --key: SHA-256 of msg, ECDSA as an ASN.1 DER
// signature, RSA as PKCS #1 v1.5 (sigstore/sigstore LoadSignerVerifier's defaults for
// these key types). It returns the signature in standard base64, the form of the
// dev.cosignproject.cosign/signature annotation and of a DSSE signature's "sig".
func Sign(key crypto.Signer, msg []byte) (string, error) {
	if err := checkKey(key.Public()); err != nil {
		return "", err
	}
	digest := sha256.Sum256(msg)
	var sig []byte
	var err error
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest[:])
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	default:
		// A hardware or agent-held key: crypto.Signer's contract gives the same
		// encodings (ASN.1 for ECDSA, PKCS #1 v1.5 for RSA without PSSOptions).
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return "", fmt.Errorf("cosign signature: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 signature over msg with pub, accepting exactly what cosign's
// verifier accepts for the key type (see Sign).
func Verify(pub crypto.PublicKey, msg []byte, b64sig string) error {
	if err := checkKey(pub); err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64: %v", ErrBadSignature, err)
	}
	digest := sha256.Sum256(msg)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest[:], sig) {
			return fmt.Errorf("%w: ECDSA", ErrBadSignature)
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig); err != nil {
			return fmt.Errorf("%w: RSA PKCS #1 v1.5", ErrBadSignature)
		}
	}
	return nil
}
