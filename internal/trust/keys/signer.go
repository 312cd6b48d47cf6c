package keys

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// signerName is docker's rule for signer and key names (cli/command/trust
// validKeyName).
var signerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidSignerName says whether name is a signer or key name docker accepts.
func ValidSignerName(name string) bool { return signerName.MatchString(name) }

// publicKeyPerm: NAME.pub is handed to the repository owner, so it is readable by all,
// as docker writes it.
const publicKeyPerm os.FileMode = 0o644

// GenerateSigner is `docker trust key generate`: a P-256 key of role name, encrypted
// into the trust dir, and its public half written to pubPath for the repository owner
// to delegate to. A failure leaves no new private key behind.
func (s *Store) GenerateSigner(name, pubPath string) (Info, error) {
	info, pub, err := s.Generate(name, "")
	if err != nil {
		return Info{}, err
	}
	if err := writePublicKey(pubPath, name, pub); err != nil {
		return Info{}, errors.Join(err, s.Remove(info.ID))
	}
	return info, nil
}

// writePublicKey writes a PKIX "PUBLIC KEY" block with docker's role header.
func writePublicKey(path, role string, pub tuf.PublicKey) error {
	key, err := pub.CryptoPublicKey()
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return err
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"role": role}, Bytes: der})
	if err := store.WriteFileAtomicPerm(path, block, publicKeyPerm); err != nil {
		return fmt.Errorf("write public key %s: %w", path, err)
	}
	return nil
}
