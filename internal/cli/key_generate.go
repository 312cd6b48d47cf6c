package cli

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/store"
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
			pubPath := filepath.Join(dir, name+".pub")
			if _, err := os.Stat(pubPath); err == nil {
				return fmt.Errorf("public key file %s already exists", pubPath)
			}
			info, pub, err := a.keyStore().Generate(name, "")
			if err != nil {
				return err
			}
			der, err := pub.CryptoPublicKey()
			if err != nil {
				return err
			}
			pkix, err := x509.MarshalPKIXPublicKey(der)
			if err != nil {
				return err
			}
			pemText := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"role": name}, Bytes: pkix})
			if err := store.WriteFileAtomic(pubPath, pemText); err != nil {
				return fmt.Errorf("write public key %s: %w", pubPath, err)
			}
			fmt.Fprintf(a.streams.Out, "Generated key %s (role %s)\nPublic key written to %s\n", info.ID, name, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "folder for NAME.pub")
	return cmd
}
