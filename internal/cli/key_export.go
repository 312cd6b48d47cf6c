package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/store"
)

func (a *app) keyExportCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:     "export KEY-ID (FILE | --output-file FILE)",
		Example: "  trustctl key export 3bedec58b0d2 alice-backup.key\n  trustctl key export 3bedec58b0d2 --output-file alice-backup.key --force",
		Short:   "Write a key's encrypted file to FILE, as a backup",
		Long: "Write the key file as stored: encrypted with its passphrase, with its role and GUN headers. Put it " +
			"back in <trust dir>/private to restore it. The file is the second argument or --output-file " +
			"(-o is the output format of the commands that print data, not a file).",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := exportFile(args, out)
			if err != nil {
				return usageError(cmd, err)
			}
			if !force {
				if _, err := os.Stat(file); err == nil {
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
			if err := store.WriteFileAtomic(file, data); err != nil {
				return fmt.Errorf("export key %s to %s: %w", key.ID, file, err)
			}
			fmt.Fprintf(a.streams.Out, "Exported key %s to %s\n", key.ID, file)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "output-file", "", "file to write (or give it as the second argument)")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
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
