package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/trust/keys"

	"github.com/trustctl/trustctl/internal/bundle"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// maxKeyInput bounds a PEM file given to import.
const maxKeyInput = 1 << 20

func (a *app) keyImportCommand() *cobra.Command {
	var role, gun string
	var force bool
	cmd := &cobra.Command{
		Use: "import FILE|BUNDLE --role ROLE",
		// docker trust key load's name for it
		SuggestFor: []string{"load"},
		Example:    "  trustctl key import alice.key --role alice\n  trustctl key import ucp-bundle-alice.zip --role alice",
		Short:      "Import a PEM private key, or the key of an MKE/UCP client bundle, encrypted",
		Long: "Import private keys into the trust dir, encrypted with the passphrase for ROLE. FILE holds " +
			"one or more PEM private keys (PKCS#8, EC, RSA, or encrypted); a BUNDLE is a client bundle zip " +
			"or folder, whose key.pem is imported.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			data, source, err := readKeyInput(path)
			if err != nil {
				return err
			}
			var imported []keys.Info
			err = a.withKeyLock(func(ks *keys.Store) (err error) {
				imported, err = ks.Import(data, source, role, gun, force)
				return err
			})
			if err != nil {
				return err
			}
			for _, k := range imported {
				fmt.Fprintf(a.streams.Out, "Imported key %s (role %s%s) from %s\n", k.ID, k.Role, gunSuffix(k.GUN), source)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "role of the key: a signer name (alice), a delegation (targets/releases), or targets/snapshot with --gun")
	cmd.Flags().StringVar(&gun, "gun", "", "repository of a targets or snapshot key")
	cmd.Flags().BoolVar(&force, "force", false, "replace a key that is already in the trust dir")
	cmd.MarkFlagRequired("role")
	return cmd
}

// readKeyInput returns the PEM to import and a name for messages: a client bundle's
// key.pem, or the file itself.
func readKeyInput(path string) ([]byte, string, error) {
	if isBundle(path) {
		b, err := bundle.Open(path)
		if err != nil {
			return nil, "", err
		}
		return b.KeyPEM, filepath.Join(path, "key.pem"), nil
	}
	data, err := store.ReadFileLimit(path, maxKeyInput)
	if err != nil {
		return nil, "", fmt.Errorf("read key %s: %w", path, err)
	}
	return data, path, nil
}

func gunSuffix(gun string) string {
	if gun == "" {
		return ""
	}
	return ", " + gun
}

// isBundle tells a client bundle (a folder, or a zip file) from a PEM file.
func isBundle(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	if info.IsDir() {
		return true
	}
	f, err := fsread.Open(path) // a FIFO must not block: it is no bundle
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && string(magic) == "PK\x03\x04"
}
