package client

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// maxKeyFile bounds a certificate or public key file.
const maxKeyFile = 1 << 20

// ReadDelegationKey reads the key to delegate to from a PEM certificate (an -x509 key,
// checked like notary does, at now) or public key file.
func ReadDelegationKey(file string, now time.Time) (tuf.PublicKey, error) {
	data, err := store.ReadFileLimit(file, maxKeyFile)
	if err != nil {
		return tuf.PublicKey{}, fmt.Errorf("read key %s: %w", file, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return tuf.PublicKey{}, fmt.Errorf("%s: no PEM certificate or public key", file)
	}
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return tuf.PublicKey{}, fmt.Errorf("%s: %w", file, err)
		}
		return CertificateKey(cert, file, now)
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return tuf.PublicKey{}, fmt.Errorf("%s: %w", file, err)
		}
		k, err := tuf.PublicKeyFromCrypto(pub)
		if err == nil {
			_, err = k.CryptoPublicKey()
		}
		if err != nil {
			return tuf.PublicKey{}, fmt.Errorf("%s: %w", file, err)
		}
		return k, nil
	}
	return tuf.PublicKey{}, fmt.Errorf("%s: PEM %q, want CERTIFICATE or PUBLIC KEY", file, block.Type)
}

// CertificateKey makes the delegation key of a certificate (from source, for messages),
// which must be valid at now, not SHA-1 signed, with a supported key (notary's rules).
func CertificateKey(cert *x509.Certificate, source string, now time.Time) (tuf.PublicKey, error) {
	switch {
	case now.Before(cert.NotBefore) || now.After(cert.NotAfter):
		return tuf.PublicKey{}, fmt.Errorf("%s: certificate not valid now (%s to %s)", source,
			cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	case cert.SignatureAlgorithm == x509.SHA1WithRSA || cert.SignatureAlgorithm == x509.ECDSAWithSHA1:
		return tuf.PublicKey{}, fmt.Errorf("%s: certificate signed with SHA-1", source)
	}
	k, err := tuf.PublicKeyFromCertificate(cert)
	if err == nil {
		_, err = k.CryptoPublicKey()
	}
	if err != nil {
		return tuf.PublicKey{}, fmt.Errorf("%s: %w", source, err)
	}
	return k, nil
}
