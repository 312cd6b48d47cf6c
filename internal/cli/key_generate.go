package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

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
			if !keys.ValidSignerName(name) {
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
			err := a.withKeyLock(func(ks *keys.Store) (err error) {
				info, err = ks.GenerateSigner(name, pubPath)
				return err
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
