package cli

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// signerName is docker's rule for signer and key names.
var signerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func (a *app) keyGenerateCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "generate NAME",
		Example: "  trustctl key generate alice\n  trustctl key generate alice --dir ./keys",
		Short:   "Generate a signing key: NAME.pub is written, the private key is encrypted into the trust dir",
		Long: "Generate an ECDSA P-256 key like `docker trust key generate`: the private key is encrypted into " +
			"the trust dir with role NAME, the public key is written to DIR/NAME.pub for the repository owner " +
			"to delegate to.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !signerName.MatchString(name) {
				return fmt.Errorf("key name %q: use lower-case letters, digits, - and _, starting with a letter or digit", name)
			}
			if st, err := os.Stat(dir); err == nil && !st.IsDir() {
				return fmt.Errorf("--dir %s is not a directory", dir)
			}
			pubPath := filepath.Join(dir, name+".pub")
			if _, err := os.Lstat(pubPath); err == nil {
				return fmt.Errorf("public key file %s already exists", pubPath)
			}
			var info keys.Info
			err := a.withKeyLock(func(ks *keys.Store) error {
				var pub tuf.PublicKey
				var err error
				if info, pub, err = ks.Generate(name, ""); err != nil {
					return err
				}
				if err := writePublicKey(pubPath, name, pub); err != nil {
					// No new private key without the public half the owner delegates to.
					return errors.Join(err, ks.Remove(info.ID))
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "Generated key %s (role %s)\nPublic key written to %s\n", info.ID, name, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder for NAME.pub")
	return cmd
}

// writePublicKey writes NAME.pub as docker trust key generate does, readable by all.
func writePublicKey(path, name string, pub tuf.PublicKey) error {
	der, err := pub.CryptoPublicKey()
	if err != nil {
		return err
	}
	pkix, err := x509.MarshalPKIXPublicKey(der)
	if err != nil {
		return err
	}
	pemText := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"role": name}, Bytes: pkix})
	if err := store.WriteFileAtomicPerm(path, pemText, publicFilePerm); err != nil {
		return fmt.Errorf("write public key %s: %w", path, err)
	}
	return nil
}
