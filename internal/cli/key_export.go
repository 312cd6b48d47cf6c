package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

func (a *app) keyExportCommand() *cobra.Command {
	var out string
	var force, allowPlaintext bool
	cmd := &cobra.Command{
		Use:   "export KEY-ID -o FILE",
		Short: "Write a key's encrypted file to FILE, as a backup",
		Long: "Write the key file as stored: encrypted with its passphrase, with its role and GUN headers. Put it back in <trust dir>/private to restore it. " +
			"A key that an old notary stored unencrypted is only written with --allow-plaintext. FILE may be /dev/stdout or a FIFO, which are written through.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			toStdout := slices.Contains(stdoutPaths, filepath.Clean(out))
			if !force && !toStdout {
				// A regular file, or one a symlink points to, is overwritten only with
				// --force; a device or FIFO is written through.
				if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
					return fmt.Errorf("export: %s already exists (--force replaces it)", out)
				}
			}
			data, err := a.keyStore().Export(args[0])
			if err != nil {
				return err
			}
			if !keys.Encrypted(data) && !allowPlaintext {
				return fmt.Errorf("export key %s: it is stored unencrypted (legacy layout); --allow-plaintext writes it as it is, or `trustctl key passwd %s` encrypts it first", args[0], args[0])
			}
			if err := a.writeOutputFile(out, data, keyFilePerm); err != nil {
				return fmt.Errorf("export key %s to %s: %w", args[0], out, err)
			}
			msg := a.streams.Out
			if toStdout {
				msg = a.streams.Err // the key went to stdout
			}
			fmt.Fprintf(msg, "Exported key %s to %s\n", args[0], out)
			return nil
		},
	}
	// Shadows the global --output format flag, as `-o FILE` reads naturally here.
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.Flags().BoolVar(&allowPlaintext, "allow-plaintext", false, "export a key stored unencrypted as it is")
	cmd.MarkFlagRequired("output")
	return cmd
}
