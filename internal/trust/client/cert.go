package client

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// rootCertValidity is notary's: ten years (SPEC 3.4).
const rootCertValidity = 3650 * 24 * time.Hour

// rootCertificate makes the root key's certificate for gun as notary does: self-signed,
// CN = GUN, valid from now for ten years, codeSigning, not a CA.
func rootCertificate(key crypto.Signer, gun string, now time.Time) (tuf.PublicKey, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tuf.PublicKey{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: gun},
		NotBefore:             now,
		NotAfter:              now.Add(rootCertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tuf.PublicKey{}, fmt.Errorf("root certificate for %s: %w", gun, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tuf.PublicKey{}, err
	}
	return tuf.PublicKeyFromCertificate(cert)
}
