package cli

import (
	"errors"
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
		Use:     "export KEY-ID (FILE | --output-file FILE)",
		Example: "  trustctl key export 3bedec58b0d2 alice-backup.key\n  trustctl key export 3bedec58b0d2 --output-file alice-backup.key --force",
		Short:   "Write a key's encrypted file to FILE, as a backup",
		Long: "Write the key file as stored: encrypted with its passphrase, with its role and GUN headers. Put it " +
			"back in <trust dir>/private to restore it. The file is the second argument or --output-file " +
			"(-o is the output format of the commands that print data, not a file). " +
			"A key that an old notary stored unencrypted is only written with --allow-plaintext. FILE may be /dev/stdout or a FIFO, which are written through.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := exportFile(args, out)
			if err != nil {
				return usageError(cmd, err)
			}
			toStdout := slices.Contains(stdoutPaths, filepath.Clean(file))
			if !force && !toStdout {
				// A regular file, or one a symlink points to, is overwritten only with
				// --force; a device or FIFO is written through.
				if st, err := os.Stat(file); err == nil && st.Mode().IsRegular() {
					return fmt.Errorf("export: %s already exists (--force replaces it)", file)
				}
			}
			ks := a.keyStore()
			key, err := ks.Lookup(args[0])
			if err != nil {
				return err
			}
			data, err := ks.Export(key.ID)
			if err != nil {
				return err
			}
			if !keys.Encrypted(data) && !allowPlaintext {
				return fmt.Errorf("export key %s: it is stored unencrypted (legacy layout); --allow-plaintext writes it as it is, or `trustctl key passwd %s` encrypts it first", key.ID, key.ID)
			}
			if err := a.writeOutputFile(file, data, keyFilePerm); err != nil {
				return fmt.Errorf("export key %s to %s: %w", key.ID, file, err)
			}
			msg := a.streams.Out
			if toStdout {
				msg = a.streams.Err // the key went to stdout
			}
			fmt.Fprintf(msg, "Exported key %s to %s\n", key.ID, file)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "output-file", "", "file to write (or give it as the second argument)")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.Flags().BoolVar(&allowPlaintext, "allow-plaintext", false, "export a key stored unencrypted as it is")
	return cmd
}

// exportFile is the FILE argument or --output-file: exactly one of them.
func exportFile(args []string, flag string) (string, error) {
	switch {
	case len(args) == 2 && flag != "":
		return "", errors.New("give the file as an argument or with --output-file, not both")
	case len(args) == 2:
		return args[1], nil
	case flag != "":
		return flag, nil
	}
	return "", errors.New("name the file to write: a second argument or --output-file")
}
